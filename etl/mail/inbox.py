"""`pmo collect`: take the returns e-mailed to the office's mailbox (IMAP), ingest them, and remember what was taken.

The mailbox is named in `pmo.toml` (`imap_host`, `imap_port`, `imap_user`, `imap_folder`,
`imap_security`); the password is read only from the environment (`PMO_IMAP_PASSWORD`), so
it is never in a file. TLS is the default; STARTTLS can be chosen, and a plain connection
only to this machine (a test server).

Each message is taken once: its UID (within the folder's UIDVALIDITY) and its Message-ID
are recorded in the store, so a re-run fetches only what is new, and a copy of a message
already taken (the same Message-ID under another UID) is not fetched again. Before a body
is downloaded its size (RFC822.SIZE) is checked against `max_return_mb`, so a 20 MB
attachment costs one small FETCH, not the download. Bodies are fetched with BODY.PEEK, so
nothing is marked read; a message is never deleted, and is moved only when
`imap_processed_folder` / `imap_rejected_folder` are set (IMAP MOVE; a server without MOVE
gets a copy there and keeps the original). The attached workbooks go through the same
ingest as a folder (`etl.cycle.ingest.ingest_offers`), so matching, validation, the store
and the validation report are as for `pmo ingest`.

If the server goes away mid-run, what was already fetched is ingested and recorded, the
rest is reported as not taken, and running the command again takes only the rest.
"""

from __future__ import annotations

import datetime as dt
import email.header
import hashlib
import imaplib
import re
import ssl
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from etl.config import Settings
from etl.cycle.ingest import OUTCOME_REJECTED, IngestResult, Offer, ingest_offers
from etl.cycle.messages import FROM_SERVER_TIME, MailMessage, message_offers, office_time, parse_eml, too_big_message
from etl.errors import MailboxError
from etl.rules.periods import Period
from etl.store.db import OfferedFile, Store

PASSWORD_ENV = "PMO_IMAP_PASSWORD"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: Messages fetched per IMAP command: one round trip for many small returns.
FETCH_BATCH = 100
TIMEOUT_SECONDS = 60

TAKEN, DUPLICATE, TOO_BIG, NOT_TAKEN = "taken", "already taken", "too big", "not taken"
_HEADERS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT DATE)]"
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass
class MailboxMessage:
    """One message in the folder, what `pmo collect` did with it, and why."""

    uid: int
    size: int
    headers: MailMessage  # sender, subject, Message-ID and date (from the headers alone)
    status: str = NOT_TAKEN
    detail: str = ""
    outcomes: list[str] = field(default_factory=list)  # ingest's outcome for each workbook
    raw: bytes | None = field(default=None, repr=False)
    arrived: dt.datetime | None = None  # when the server received it (office time): for a message without a Date
    copy_of: "MailboxMessage | None" = field(default=None, repr=False)  # the copy taken in this run
    parts: list[tuple[str, int]] = field(default_factory=list)  # attachments of a message refused unread

    @property
    def label(self) -> str:
        return f"message {self.uid}"

    def describe(self) -> str:
        """E.g. ``message 7 from sam@… “Re: highlight report”, sent 09/10/2023 14:02: Accepted``."""
        what = ", ".join(self.outcomes) or self.status
        return f"{self.label} {self.headers.describe()}: {what}{' (' + self.detail + ')' if self.detail else ''}"


@dataclass
class CollectResult:
    """What `collect_mailbox` found and did."""

    mailbox: str
    period: Period
    messages: list[MailboxMessage] = field(default_factory=list)
    already: int = 0  # messages taken by an earlier run
    ingest: IngestResult | None = None
    lost: str = ""  # set when the connection was lost before every message was taken
    moved: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        rejected = any(m.status == TOO_BIG or OUTCOME_REJECTED in m.outcomes for m in self.messages)
        return 1 if self.lost or rejected or (self.ingest is not None and self.ingest.exit_code) else 0

    def count(self, status: str) -> int:
        return sum(1 for m in self.messages if m.status == status)


def mailbox_key(settings: Settings) -> str:
    """How the store names the mailbox folder: user@host/folder."""
    return f"{settings.imap_user}@{settings.imap_host}/{settings.imap_folder}"


def connect(settings: Settings, password: str | None) -> imaplib.IMAP4:
    """A logged-in connection to the office mailbox; `MailboxError` saying what to fix if not."""
    host, user, security = settings.imap_host, settings.imap_user, settings.imap_security
    if not host or not user:
        raise MailboxError("no mailbox set up: put imap_host and imap_user (and imap_folder) in pmo.toml")
    if not password:
        raise MailboxError(f"no mailbox password: set the environment variable {PASSWORD_ENV}")
    if security == "plain" and host not in LOOPBACK:
        raise MailboxError(f"imap_security = \"plain\" would send the password unencrypted to {host}: "
                           "use \"tls\" or \"starttls\" (plain is only for a server on this machine)")
    port = settings.imap_port or (993 if security == "tls" else 143)
    context = ssl.create_default_context(cafile=settings.imap_ca_file or None)
    try:
        if security == "tls":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)
        else:
            imap = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
            if security == "starttls":
                imap.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"cannot connect to the mailbox at {host}:{port} ({security}): {exc}") from exc
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error as exc:
        _close(imap)
        detail = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise MailboxError(f"the mailbox at {host} refused the login for {user} ({detail}): "
                           f"check imap_user in pmo.toml and {PASSWORD_ENV}") from exc
    return imap


def _close(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _select(imap: imaplib.IMAP4, folder: str, readonly: bool) -> int:
    """Open the folder; its UIDVALIDITY. `MailboxError` naming the folders there when it does not exist."""
    typ, _ = imap.select(_quoted(folder), readonly=readonly)
    if typ != "OK":
        _, listing = imap.list()
        names = [line.decode(errors="replace").rsplit(' "', 1)[-1].strip('"') if isinstance(line, bytes) else ""
                 for line in listing or []]
        raise MailboxError(f"there is no folder {folder!r} in the mailbox (folders there: "
                           f"{', '.join(n for n in names if n) or 'none'}): check imap_folder in pmo.toml")
    _, values = imap.response("UIDVALIDITY")
    return int(values[0]) if values and values[0] else 0


def _parts(imap: imaplib.IMAP4, uid: int) -> list[tuple[str, int]]:
    """The attachments of a message (name, encoded size) from its BODYSTRUCTURE, without downloading it."""
    typ, data = imap.uid("FETCH", str(uid), "(BODYSTRUCTURE)")
    if typ != "OK" or not data or not isinstance(data[0], bytes):
        return []  # a name in a literal or an odd server: the message is still refused, unnamed
    try:
        return attachment_sizes(_structure(data[0]))
    except (ValueError, LookupError, TypeError, AttributeError):  # only names the parts: never fatal
        return []


def _internal_date(line: bytes, timezone: str) -> dt.datetime | None:
    """The server's INTERNALDATE (when it received the message), on the office's clock."""
    found = _INTERNALDATE.search(line)
    if not found:
        return None
    try:
        when = dt.datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None
    return office_time(when, timezone)


_TOKEN = re.compile(rb'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+')


def _structure(text: bytes) -> list:
    """A BODYSTRUCTURE as nested lists of str / int / None (RFC 3501's parenthesised form)."""
    stack: list[list] = [[]]
    for token in _TOKEN.findall(text):
        if token == b"(":
            stack.append([])
        elif token == b")" and len(stack) > 1:
            done = stack.pop()
            stack[-1].append(done)
        elif token.startswith(b'"'):
            stack[-1].append(re.sub(rb"\\(.)", rb"\1", token[1:-1]).decode("utf-8", "replace"))
        else:
            word = token.decode("ascii", "replace")
            stack[-1].append(None if word.upper() == "NIL" else int(word) if word.isdigit() else word)
    return stack[0]


def attachment_sizes(structure: list) -> list[tuple[str, int]]:
    """(file name, encoded size) of every part with a file name in a parsed BODYSTRUCTURE."""
    found: list[tuple[str, int]] = []
    for part in structure:
        if not isinstance(part, list):
            continue
        if part and isinstance(part[0], str) and len(part) > 6 and isinstance(part[6], int):
            params = [p for p in part[7:] if isinstance(p, list) and len(p) == 2 and isinstance(p[1], list)]
            pairs = (part[2] or []) + [v for p in params for v in p[1]]
            names = dict(zip(pairs[0::2], pairs[1::2]))
            name = _param_name(names)
            if name:
                found.append((name, part[6]))
        else:
            found += attachment_sizes(part)
    return found


def _param_name(params: dict) -> str:
    lowered = {str(k).lower(): v for k, v in params.items() if isinstance(v, str)}
    if "filename*" in lowered:  # RFC 2231: charset'language'percent-encoded
        charset, _, rest = lowered["filename*"].partition("'")
        value = rest.partition("'")[2]  # after the language
        try:
            return urllib.parse.unquote(value, encoding=charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset
            return urllib.parse.unquote(value, errors="replace")
    raw = lowered.get("filename") or lowered.get("name") or ""
    return str(email.header.make_header(email.header.decode_header(raw))) if raw else ""


def _fetch(imap: imaplib.IMAP4, uids: list[int], what: str) -> dict[int, tuple[bytes, bytes]]:
    """UID → (the response line, the literal) for one FETCH of many messages."""
    typ, data = imap.uid("FETCH", ",".join(map(str, uids)), what)
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {data!r}")
    out: dict[int, tuple[bytes, bytes]] = {}
    for item in data or []:
        if isinstance(item, tuple):
            found = _UID.search(item[0])
            if found:
                out[int(found.group(1))] = (item[0], item[1])
    return out


def collect_mailbox(
    period: Period,
    store: Store,
    portfolio: pd.DataFrame,
    settings: Settings,
    password: str | None,
    dry_run: bool = False,
    batch: int = FETCH_BATCH,
    on_batch: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> CollectResult:
    """Take the new messages from the mailbox folder, ingest their returns for `period`, and record them.

    The caller writes the validation report of `result.ingest` (see `etl.office.Office.collect`).

    With `dry_run`, only the headers and sizes are fetched: nothing is downloaded, ingested,
    recorded or moved. `on_batch(n)` is called after each FETCH of `n` messages.
    Raises `MailboxError` when the mailbox cannot be reached or used.
    """
    key = mailbox_key(settings)
    result = CollectResult(key, period)
    moving = bool(settings.imap_processed_folder or settings.imap_rejected_folder)
    imap = connect(settings, password)
    try:
        uidvalidity = _select(imap, settings.imap_folder, readonly=dry_run or not moving)
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = [int(u) for u in (data[0] or b"").split()] if typ == "OK" and data else []
        taken_before = store.collected_uids(key, uidvalidity, str(period))
        new = [u for u in uids if u not in taken_before]
        result.already = len(uids) - len(new)
        _take(imap, new, result, store, settings, dry_run, batch, on_batch, str(period))
        if not dry_run:
            _ingest(result, store, portfolio, settings, period, today)
            for message in result.messages:
                if message.status != NOT_TAKEN:
                    store.record_collected(key, uidvalidity, message.uid, message.headers.message_id or None,
                                           str(period), message.status, "; ".join(message.outcomes))
            if moving and not result.lost:
                _move(imap, result, settings)
    finally:
        _close(imap)
    return result


def _take(imap: imaplib.IMAP4, uids: list[int], result: CollectResult, store: Store, settings: Settings,
          dry_run: bool, batch: int, on_batch: Callable[[int], None] | None, period: str) -> None:
    """Fetch headers and sizes, then the bodies worth downloading, a batch at a time."""
    limit = int(settings.max_return_mb * 1024 * 1024)
    seen: dict[str, MailboxMessage] = {}  # Message-ID -> the message taken with it in this run
    for start in range(0, len(uids), batch):
        chunk = uids[start:start + batch]
        try:
            heads = _fetch(imap, chunk, f"(UID RFC822.SIZE INTERNALDATE {_HEADERS})")
            wanted: list[MailboxMessage] = []
            for uid in chunk:
                if uid not in heads:
                    continue  # expunged meanwhile
                line, header = heads[uid]
                size = int(_SIZE.search(line).group(1)) if _SIZE.search(line) else 0
                message = MailboxMessage(uid, size, parse_eml(header, settings.timezone),
                                         arrived=_internal_date(line, settings.timezone))
                result.messages.append(message)
                mid = message.headers.message_id
                earlier = store.collected_message(mid, period) if mid else None
                if mid and (mid in seen or earlier is not None):
                    message.status = DUPLICATE
                    message.copy_of = seen.get(mid)
                    where = f"message {seen[mid].uid}" if mid in seen else f"message {earlier['uid']}"
                    message.detail = f"the same message ({mid}) was taken already as {where}; not fetched again"
                    continue
                if mid:
                    seen[mid] = message
                if size > limit:
                    message.status = TOO_BIG
                    message.detail = too_big_message(message.label, size, settings.max_return_mb).message
                    message.parts = _parts(imap, uid)
                    continue
                wanted.append(message)
            if wanted and not dry_run:
                bodies = _fetch(imap, [m.uid for m in wanted], "(UID BODY.PEEK[])")
                for message in wanted:
                    if message.uid in bodies:
                        message.raw = bodies[message.uid][1]
                        message.status = TAKEN
        except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error) as exc:
            left = len(uids) - sum(1 for m in result.messages if m.status != NOT_TAKEN)
            result.lost = (f"the connection to the mailbox was lost ({exc.__class__.__name__}: {exc}); "
                           f"{left} message(s) not taken: run `pmo collect` again to take them")
            # A copy stands for its original only once the original is taken.
            result.messages = [m for m in result.messages if m.status != NOT_TAKEN and
                               (m.copy_of is None or m.copy_of.status != NOT_TAKEN)]
            return
        if dry_run:
            for message in result.messages:
                if message.status == NOT_TAKEN:
                    message.status = "would take"
        if on_batch is not None:
            on_batch(len(chunk))


def _ingest(result: CollectResult, store: Store, portfolio: pd.DataFrame, settings: Settings, period: Period,
            today: dt.date | None) -> None:
    """Offer every taken message's workbooks (and each refused one) to ingest; note the outcomes per message."""
    offers: list[Offer] = []
    owner: dict[str, MailboxMessage] = {}
    for message in result.messages:
        source = Path(f"{message.label}.eml")
        if message.status == TAKEN and message.raw is not None:
            parsed = parse_eml(message.raw, settings.timezone)
            for offer in message_offers(parsed, message.label, source, str(period), settings.timezone,
                                        message.arrived or dt.datetime.now().replace(microsecond=0),
                                        FROM_SERVER_TIME):
                offers.append(offer)
                owner[offer.name] = message
        elif message.status == TOO_BIG:
            # Refused unread: named by where it is, as its bytes (and so their hash) are unknown.
            identity = f"{result.mailbox} {message.uid} {message.headers.message_id}".encode()
            offered = OfferedFile(source, hashlib.sha256(identity).hexdigest(), message.size,
                                  message.headers.date or message.arrived or dt.datetime.now().replace(microsecond=0),
                                  str(period),
                                  sender=message.headers.sender or None, subject=message.headers.subject or None,
                                  message_id=message.headers.message_id or None)
            problem = too_big_message(message.label, message.size, settings.max_return_mb, message.parts)
            offers.append(Offer(message.label, source, offered, None, None, None, [problem],
                                message=message.headers.describe()))
            owner[message.label] = message
    if not offers:
        return
    result.ingest = ingest_offers(offers, Path(result.mailbox), period, store, portfolio, settings, today=today)
    for outcome in result.ingest.files:
        message = owner.get(outcome.name)
        if message is not None:
            project = f" {outcome.project_id}" if outcome.project_id else ""
            message.outcomes.append(f"{outcome.outcome}{project}")


def _move(imap: imaplib.IMAP4, result: CollectResult, settings: Settings) -> None:
    """Move taken messages to the Processed folder, refused or rejected ones to Rejected (never delete)."""
    # Asked again after login: servers list MOVE only to a logged-in client.
    typ, data = imap.capability()
    can_move = typ == "OK" and b"MOVE" in (data[0] or b"").upper().split()
    targets: dict[str, list[int]] = {}
    for message in result.messages:
        rejected = message.status == TOO_BIG or any(o.startswith(OUTCOME_REJECTED) for o in message.outcomes)
        folder = settings.imap_rejected_folder if rejected else settings.imap_processed_folder
        if folder and message.status != NOT_TAKEN:
            targets.setdefault(folder, []).append(message.uid)
    for folder, uids in targets.items():
        try:
            imap.create(_quoted(folder))  # "already exists" is fine
            command = "MOVE" if can_move else "COPY"
            typ, data = imap.uid(command, ",".join(map(str, uids)), _quoted(folder))
            if typ == "OK":
                result.moved[folder] = len(uids)
            else:
                result.notes.append(f"could not move {len(uids)} message(s) to {folder}: {data!r}")
            if not can_move:
                result.notes.append(f"the server cannot MOVE: {len(uids)} message(s) copied to {folder}, "
                                    "originals left in place")
        except (OSError, imaplib.IMAP4.error) as exc:
            result.notes.append(f"could not move {len(uids)} message(s) to {folder}: {exc}")
