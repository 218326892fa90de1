"""Returns that arrive by e-mail: a message (saved `.eml`, Outlook `.msg`, or fetched from the mailbox) as the workbooks it carries.

A partner replies to the template e-mail with the filled workbook attached. `parse_eml` and
`parse_msg` turn a message into a `MailMessage`: who sent it, its subject, Message-ID and
`Date` (in the office's time zone, since that is what a due date means), and its spreadsheet
attachments as bytes. `message_offers` turns it into what ingest reads: one offer per
attached workbook, received at the message's date, carrying the sender on record and the
message itself (to be archived with the return as evidence), or, for a message with no
workbook or one that cannot be read, a single rejected offer saying so.

Attachment names come from the sender and are never used as paths: `safe_name` keeps only
a file name (no folders, no `..`, no control characters), which is what the report shows
and what the archive copy is called.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable
from zoneinfo import ZoneInfo

from etl.cycle.reader import MB, is_spreadsheet_name
from etl.errors import Problem
from etl.cycle.offers import Offer
from etl.store.db import OfferedFile

#: Saved messages ingest opens to find the returns attached.
MESSAGE_SUFFIXES: tuple[str, ...] = (".eml", ".msg")
#: How `files.received_source` says where the received time came from.
FROM_MESSAGE_DATE = "message date"
FROM_FILE_TIME = "file time"
FROM_SERVER_TIME = "server arrival time"  # the mailbox's INTERNALDATE, for a message without a Date

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
_MAX_NAME = 120
_RESEND = "Ask the sender to reply with the completed workbook (.xlsx) attached."


@dataclass(frozen=True)
class MailedFile:
    """A spreadsheet attached to a message: a safe file name and its bytes."""

    name: str
    data: bytes
    size: int


@dataclass
class MailMessage:
    """A message as ingest needs it."""

    raw: bytes
    sender: str = ""  # the From address, lower case
    sender_display: str = ""  # as the From header shows it ("Sam Patel <sam@…>")
    subject: str = ""
    message_id: str = ""
    date: dt.datetime | None = None  # the Date header, in the office's time zone (naive, local)
    workbooks: list[MailedFile] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # names of other attachments (signatures, PDFs)
    unreadable: str = ""  # why the message itself could not be read

    def describe(self) -> str:
        """How the report names the message: sender, subject and date."""
        when = f"{self.date:%d/%m/%Y %H:%M}" if self.date else "no date"
        return f"from {self.sender_display or self.sender or 'an unknown sender'}, " \
               f"\u201c{self.subject or '(no subject)'}\u201d, sent {when}"


def is_message_name(path: Path) -> bool:
    """Whether ingest should open this file as a saved e-mail."""
    return path.suffix.lower() in MESSAGE_SUFFIXES


def safe_name(raw: str | None, index: int) -> str:
    """An attachment's name reduced to a plain file name: no folders, `..`, drive or control characters."""
    text = (raw or "").strip()
    # Both separators: a name like `..\..\x.xlsx` is a path on Windows.
    text = PureWindowsPath(PurePosixPath(text.replace("\\", "/")).name).name
    text = _UNSAFE.sub("_", text).strip(" .")
    if len(text) > _MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        text = (stem[: _MAX_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 8 else text[:_MAX_NAME]
    return text or f"attachment-{index}"


def office_time(when: dt.datetime, timezone: str) -> dt.datetime:
    """A message's time as the office's clock showed it (naive), to the second.

    A Date without a zone (`-0000`, or none) is taken as UTC, as RFC 5322 says.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def _address(header: str | None) -> tuple[str, str]:
    display = " ".join(str(header or "").split())
    return email.utils.parseaddr(display)[1].strip().lower(), display


def parse_eml(data: bytes, timezone: str) -> MailMessage:
    """An RFC 5322 message (`.eml`, or as fetched from IMAP); never raises, says why in `unreadable`."""
    message = MailMessage(raw=data)
    try:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        message.sender, message.sender_display = _address(parsed.get("From"))
        message.subject = " ".join(str(parsed.get("Subject") or "").split())
        message.message_id = str(parsed.get("Message-ID") or "").strip()
        message.date = _date(parsed.get("Date"), timezone)
        for index, part in enumerate(parsed.walk(), start=1):
            if part.is_multipart():
                continue
            raw_name = part.get_filename()  # RFC 2231 and MIME-encoded names are decoded here
            if raw_name is None and part.get_content_disposition() != "attachment":
                continue  # the body (plain or HTML), not an attachment
            _add(message, safe_name(raw_name, index), part.get_payload(decode=True) or b"")
    except Exception as exc:  # noqa: BLE001 - any malformed message is one message's problem
        message.unreadable = f"The message could not be read as an e-mail ({exc.__class__.__name__}: {exc})."
    return message


def parse_msg(data: bytes, timezone: str) -> MailMessage:
    """An Outlook `.msg` (read with extract-msg); never raises, says why in `unreadable`."""
    import extract_msg

    message = MailMessage(raw=data)
    try:
        with extract_msg.openMsg(data, strict=False) as msg:
            message.sender, message.sender_display = _address(msg.sender)
            message.subject = " ".join(str(msg.subject or "").split())
            message.message_id = str(msg.messageId or "").strip()
            message.date = office_time(msg.date, timezone) if isinstance(msg.date, dt.datetime) else None
            for index, attachment in enumerate(msg.attachments, start=1):
                content = attachment.data
                raw_name = getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None)
                if isinstance(content, bytes):
                    _add(message, safe_name(raw_name, index), content)
                else:  # an embedded message or a link: not a workbook
                    message.others.append(safe_name(raw_name, index))
    except Exception as exc:  # noqa: BLE001
        message.unreadable = f"The Outlook message could not be read ({exc.__class__.__name__}: {exc})."
    return message


def read_message_file(path: Path, timezone: str) -> MailMessage:
    """A saved message, by its extension."""
    data = path.read_bytes()
    return parse_msg(data, timezone) if path.suffix.lower() == ".msg" else parse_eml(data, timezone)


def message_headers(path: Path, timezone: str) -> MailMessage:
    """Sender, subject and date of a saved message too big to open, from its first 64 KB (`.eml`
    only: an Outlook file keeps them scattered through the file)."""
    if path.suffix.lower() != ".eml":
        return MailMessage(raw=b"")
    with open(path, "rb") as handle:
        head = handle.read(65536)
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=len(head))
    message = parse_eml(head[:end] + b"\r\n\r\n", timezone)
    message.raw = b""
    return message


def _date(header: object, timezone: str) -> dt.datetime | None:
    if header is None:
        return None
    when = getattr(header, "datetime", None)
    if when is None:
        try:
            when = email.utils.parsedate_to_datetime(str(header))
        except (TypeError, ValueError):
            return None
    return office_time(when, timezone)


def _add(message: MailMessage, name: str, content: bytes) -> None:
    if is_spreadsheet_name(Path(name)):
        message.workbooks.append(MailedFile(name, content, len(content)))
    else:
        message.others.append(name)


# ----------------------------------------------------------------------------- offers


def message_offers(message: MailMessage, label: str, source: Path, period: str, timezone: str,
                   fallback_received: dt.datetime, fallback_source: str = FROM_FILE_TIME) -> list[Offer]:
    """What a message offers ingest: each attached workbook, or one rejected entry for the message.

    `label` names the message in the report (its file name, or the mailbox UID); `source` is
    the saved message (or a stand-in path for one fetched); a message without a `Date` is
    taken as received at `fallback_received` (the saved file's time, or the server's:
    `fallback_source` says which, for the store).
    """
    received = message.date or fallback_received
    how = FROM_MESSAGE_DATE if message.date else fallback_source
    evidence_name = safe_name(Path(label).stem, 0) + (".msg" if source.suffix.lower() == ".msg" else ".eml")
    key = hashlib.sha256(message.raw).hexdigest()
    said = message.describe()

    def offer(name: str, sha: str, size: int, data: bytes | None, problems: list[Problem],
              file_name: str) -> Offer:
        offered = OfferedFile(
            source, sha, size, received, period, sender=message.sender or None, subject=message.subject or None,
            message_id=message.message_id or None, received_source=how, data=data,
            evidence=(evidence_name, message.raw), display_name=file_name)
        return Offer(name, source, offered, data, read_as=Path(file_name), problems=problems, message_key=key,
                     message=said)

    if message.unreadable or not message.workbooks:
        if message.unreadable:
            problem = Problem(message.unreadable, file=label, code="message_unreadable", fix=_RESEND)
        else:
            others = f" (attached: {', '.join(message.others)})" if message.others else ""
            problem = Problem(f"No attachment: the message carries no workbook{others}.", file=label,
                              code="no_attachment", fix=_RESEND)
        return [offer(label, key, len(message.raw), None, [problem], evidence_name)]
    return [offer(f"{label} \u203a {attached.name}", hashlib.sha256(attached.data).hexdigest(), attached.size,
                  attached.data, [], attached.name) for attached in message.workbooks]


def too_big_message(label: str, size: int, max_mb: float, parts: list[tuple[str, int]] | None = None) -> Problem:
    """A fetched message over the size limit, refused before its body was downloaded.

    `parts` are its attachments (name, size as sent) when the server said, to name the big one.
    """
    # Attachments travel base64-encoded in lines of 76 (+CRLF): 78 bytes sent for 57 of the file.
    attached = "; ".join(f"{safe_name(name, i)}, about {size * 57 / 78 / MB:.1f} MB" for i, (name, size) in
                         enumerate(parts or [], start=1))
    return Problem(
        f"The message is {size / MB:.1f} MB{f' (attached: {attached})' if attached else ''}, over the "
        f"{max_mb:g} MB limit for a return, so it was not downloaded.",
        file=label, code="too_big", value=size,
        fix="A highlight report is normally well under 1 MB: ask the sender to send the template alone, without "
            "pictures or other large files (or raise max_return_mb in pmo.toml).")


# ----------------------------------------------------------------------------- senders


def expected_senders(*addresses: object) -> set[str]:
    """The addresses a project's return may come from (lower case, blanks dropped)."""
    return {str(a).strip().lower() for a in addresses if isinstance(a, str) and a.strip()}


def sent_by_note(sender: str | None, expected: Iterable[str]) -> str | None:
    """"sent by x@y, not the project manager" when a return came from someone unexpected, else None."""
    allowed = set(expected)
    if not sender or not allowed or sender.lower() in allowed:
        return None
    return f"sent by {sender}, not the project manager or internal representative"


def sender_problem(sender: str | None, expected: set[str], file: str) -> Problem | None:
    """A warning when the return came from an address the portfolio does not give for the project."""
    note = sent_by_note(sender, expected)
    if note is None:
        return None
    return Problem(
        f"The return was {note} ({', '.join(sorted(expected))}); it was accepted, but check it is genuine.",
        file=file, code="unexpected_sender", field="Sender", value=sender, severity="warning",
        fix="If this person now manages the project, update the portfolio's Project Manager Email.")
