"""The period's validation report, from the store: every file offered for the period, with its
latest outcome, and which problems are still open.

Each ingest run writes its own report (only that run's files); the period's report adds every
file offered in earlier runs for the period and not offered again, as the store last logged it
(issue 15: after a late resubmission the officer must not lose the list of returns still
rejected). A rejected file's errors are *open* until a return for its project is accepted
after it was logged, then *resolved*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.errors import Problem
from etl.rules.periods import Period

if TYPE_CHECKING:
    from etl.cycle.ingest import FileOutcome, IngestResult
    from etl.store.db import Store

OPEN = "Open"
RESOLVED = "Resolved: a later return was accepted"

#: How the store's outcomes read in the report (as ingest names them).
_OUTCOMES = {"accepted": "Accepted", "rejected": "Rejected", "skipped": "Skipped"}


@dataclass
class EarlierFile:
    """A file offered in an earlier run for the period (and not in this one), as last logged."""

    name: str
    project_id: str | None
    outcome: str
    problems: list[Problem]
    received_at: dt.datetime | None
    size: int | None
    sha256: str
    offered_at: str
    status: str = ""


@dataclass
class PeriodView:
    """What the period's report adds to a run's: earlier files, and each rejected file's status."""

    period: Period
    earlier: list[EarlierFile] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # this run's file name -> Open / Resolved


def _problem(item: dict[str, Any]) -> Problem:
    known = {k: item.get(k) for k in ("message", "file", "code", "field", "sheet", "row", "cell", "value", "fix",
                                      "severity") if item.get(k) is not None}
    return Problem(**{"message": "", **known})


def _shown(path: str, folder: Path) -> str:
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return path


def period_view(store: "Store", result: "IngestResult") -> PeriodView:
    """The earlier files of `result.period` and the open/resolved status of every rejected file."""
    logged = store.files(result.period)
    accepted_last: dict[str, int] = {}
    for row in logged:
        if row["outcome"] == "accepted" and row["project_id"]:
            accepted_last[row["project_id"]] = max(accepted_last.get(row["project_id"], 0), row["id"])

    def status(project_id: str | None, logged_id: int) -> str:
        return RESOLVED if project_id and accepted_last.get(project_id, 0) > logged_id else OPEN

    view = PeriodView(result.period)
    last_of_sha = {}
    for row in logged:
        last_of_sha[row["sha256"]] = row["id"]
    from etl.cycle.ingest import shown_name

    this_run = {shown_name(str(o.path)) for o in result.files}  # as the store keeps them
    for outcome in result.rejected:
        view.status[outcome.name] = status(outcome.project_id, last_of_sha.get(outcome.sha256 or "", 0))
    latest: dict[str, dict[str, Any]] = {}
    for row in logged:
        if row["path"] not in this_run:
            latest[row["path"]] = row  # oldest first: the last one wins
    for path, row in sorted(latest.items(), key=lambda item: _shown(item[0], result.folder)):
        outcome = _OUTCOMES.get(row["outcome"], row["outcome"])
        received = row.get("received_at")
        view.earlier.append(EarlierFile(
            name=_shown(path, result.folder), project_id=row["project_id"], outcome=outcome,
            problems=[_problem(p) for p in row["problems"]],
            received_at=dt.datetime.fromisoformat(received) if received else None, size=row["size"],
            sha256=row["sha256"], offered_at=row["offered_at"],
            status=status(row["project_id"], row["id"]) if row["outcome"] == "rejected" else ""))
    return view


def status_of(view: PeriodView | None, outcome: "FileOutcome") -> str:
    """Open / Resolved for a rejected file of this run ("" otherwise, or without a view)."""
    return view.status.get(outcome.name, "") if view else ""
