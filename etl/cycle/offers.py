"""What ingest is offered: a file of the returns folder, or a workbook attached to an e-mail.

Its own module so that the folder walk (`etl.cycle.ingest`) and the e-mail reader
(`etl.cycle.messages`) can both make offers without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import Problem
from etl.store.db import OfferedFile


@dataclass
class Offer:
    """One entry ingest reports on: a file in the folder, or a workbook attached to an e-mail.

    `read_as` is the name whose extension says how to read `data` (None: too big to read);
    `problems` already set reject it unread (a message with no workbook); `skip` skips it.
    """

    name: str
    path: Path  # the file, or the message it came in (what `on_file` is told)
    offered: OfferedFile | None
    data: bytes | None = None
    read_as: Path | None = None
    skip: str | None = None
    problems: list[Problem] = field(default_factory=list)
    message_key: str = ""  # the same for every workbook attached to one message
    message: str = ""  # the message's sender, subject and date, for the report
