"""Ingest a folder of returns: read, normalise, validate the batch, store, and report.

`ingest_folder` walks the folder (and below, in sorted order), reads each return by its
defined names (`etl.cycle.reader`), normalises what partners type (RAG variants, UK dates, money,
stray spaces), validates the whole batch at once with one lazy pandera validation per table
(`schemas.highlight`), maps every failure back to its file and cell, then writes each file's
outcome to the store in its own transaction and the validation report last. The files
themselves are only ever read: never moved, changed or deleted.

A saved e-mail in the folder (`.eml`, Outlook `.msg`) offers each workbook attached to it,
received at the message's date (`etl.cycle.messages`); `ingest_offers` takes such offers
from anywhere, which is how `pmo collect` ingests what it takes from the mailbox.

Outcomes: accepted; accepted superseding an earlier return for the same project and period
(both stay on record); rejected (with every problem); duplicate (these exact bytes were
already accepted: skipped, store unchanged); skipped (not a spreadsheet, hidden, not a file).
A rejected file offered again with the same problems is reported again but logged once, so
re-running on the same folder changes nothing in the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from etl.contracts import fields as F
from etl.config import Settings
from etl.errors import ConfigError, Problem
from etl.rules.periods import Period
from etl.rules.dates import stored_date, uk_date
from etl.rules.rag import NOT_RATED_REASONS, normalise_status
from etl.cycle.cells import FormulaError
from etl.cycle.reader import MB, RawReturn, is_spreadsheet_name, read_return, too_big
from etl.errors import ReturnUnreadable
from etl.cycle.offers import Offer
from etl.store.db import REJECTED, SKIPPED, OfferedFile, ReturnRecord, Store, sha256_of
from etl.rules.values import cell_text, clean_text, parse_date, parse_money
from schemas import highlight as H
from schemas.checks import canonical_choice

OUTCOME_ACCEPTED = "Accepted"
OUTCOME_SUPERSEDES = "Accepted (supersedes earlier return)"
OUTCOME_REJECTED = "Rejected"
OUTCOME_DUPLICATE = "Duplicate (skipped)"
OUTCOME_SKIPPED = "Skipped"

REPORT_NAME = "validation_report.xlsx"
#: Test hook: seconds to sleep after each file is stored, so a test can kill a run mid-batch.
SLOW_ENV = "PMO_TEST_SLOW_INGEST"

_RATING_ALIASES = {"h": "High", "hi": "High", "m": "Medium", "med": "Medium", "l": "Low", "lo": "Low"}


@dataclass
class FileOutcome:
    """What happened to one file offered to ingest."""

    path: Path
    name: str  # path relative to the folder ingested, as shown in the report
    outcome: str = OUTCOME_REJECTED
    project_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    sha256: str | None = None
    size: int | None = None
    received_at: dt.datetime | None = None
    return_id: int | None = None
    message: str = ""  # for a workbook e-mailed: the message's sender, subject and date

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class IngestResult:
    """The outcome of ingesting a folder; `exit_code` is 0 when nothing was rejected, else 1."""

    period: Period
    folder: Path
    accepted: list[FileOutcome] = field(default_factory=list)
    superseded: list[FileOutcome] = field(default_factory=list)
    rejected: list[FileOutcome] = field(default_factory=list)
    duplicates: list[FileOutcome] = field(default_factory=list)
    skipped: list[FileOutcome] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def files(self) -> list[FileOutcome]:
        """Every file, in the order it was offered."""
        everything = self.accepted + self.superseded + self.rejected + self.duplicates + self.skipped
        return sorted(everything, key=lambda o: o.name)

    @property
    def all_accepted(self) -> list[FileOutcome]:
        return sorted(self.accepted + self.superseded, key=lambda o: o.name)

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.files for p in o.problems]

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def summary(self) -> str:
        return (f"Accepted {len(self.accepted)}, superseded {len(self.superseded)}, rejected {len(self.rejected)}, "
                f"duplicates skipped {len(self.duplicates)}, other files skipped {len(self.skipped)}")

    def _add(self, outcome: FileOutcome) -> None:
        bucket = {
            OUTCOME_ACCEPTED: self.accepted, OUTCOME_SUPERSEDES: self.superseded, OUTCOME_REJECTED: self.rejected,
            OUTCOME_DUPLICATE: self.duplicates, OUTCOME_SKIPPED: self.skipped,
        }[outcome.outcome]
        bucket.append(outcome)


# ----------------------------------------------------------------------------- the folder


def offered_paths(folder: Path) -> list[tuple[Path, str | None]]:
    """Every entry ingest will report on, sorted: (path, reason it is skipped, or None to read it).

    Walks sub-folders (without recursion, so any depth is fine); hidden files and folders
    (`.DS_Store`, Excel's `~$` lock files, `.git`) are skipped and hidden folders not entered.
    A folder that cannot be listed, or a name that is not valid text, is reported for itself
    and the walk goes on.
    """
    found: list[tuple[Path, str | None]] = []
    stack = [folder]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            found.append((directory, f"a folder that cannot be read ({exc.strerror or exc}), so nothing in it was read"))
            continue
        below = []
        for entry in entries:
            found.append((entry, None))
            try:
                found[-1] = (entry, _skip_reason(entry, below))
            except OSError as exc:
                found[-1] = (entry, f"cannot be looked at ({exc.strerror or exc})")
        stack.extend(reversed(below))
    return sorted(((p, why) for p, why in found if why != FOLDER), key=lambda item: _sort_key(item[0], folder))


def _sort_key(path: Path, folder: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(folder).parts
    except ValueError:
        return (str(path),)


def _skip_reason(entry: Path, below: list[Path]) -> str | None:
    """Why `entry` is not read (None: read it); a folder to walk is added to `below`."""
    hidden = entry.name.startswith((".", "~$"))
    if not valid_text(entry.name):
        return "its name is not valid text (UTF-8); rename it and run again"
    if entry.is_dir():
        if hidden or entry.is_symlink():
            return "a hidden or linked folder, not entered"
        below.append(entry)
        return FOLDER
    if entry.is_symlink():
        return "a link to a file elsewhere, not read"
    if not entry.is_file():
        return "not a regular file"
    if hidden:
        return "a hidden file (e.g. an Excel lock file or system file)"
    from etl.cycle.messages import is_message_name

    if not is_spreadsheet_name(entry) and not is_message_name(entry):
        return f"not a spreadsheet ({entry.suffix or 'no extension'})"
    return None


#: Marks a folder that was walked: it is not itself a file offered.
FOLDER = "<folder>"


def valid_text(name: str) -> bool:
    """Whether a file name decoded from the disk is real text (not undecodable bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(name: str) -> str:
    """A file name fit to store and show: undecodable bytes become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if not valid_text(name) else name


#: Bytes hashed from each end of a file over the size limit (it is never read whole).
SAMPLE = 1 << 20


def file_identity(path: Path, size: int, limit: int, data: bytes | None = None) -> str:
    """The SHA-256 of the file, or, over the size limit, of its size and first and last MiB
    (prefixed `sampled:`): a 10 GB file is refused in milliseconds, not hashed whole."""
    if data is not None:
        return hashlib.sha256(data).hexdigest()
    if size <= limit:
        return sha256_of(path)
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(SAMPLE))
        handle.seek(max(size - SAMPLE, 0))
        digest.update(handle.read(SAMPLE))
    return "sampled:" + digest.hexdigest()


def _offered(path: Path, period: Period, data: bytes | None, limit: int,
             received_on: dt.date | None = None) -> OfferedFile:
    """The file's identity: its hash, size and received time (its modification time, or the
    day given for a batch loaded after the event, e.g. back-filling last year's returns)."""
    stat = path.stat()
    sha = file_identity(path, stat.st_size, limit, data)
    # The office's local time: whether a return was late is decided by its local calendar day.
    received = (dt.datetime.combine(received_on, dt.time(0)) if received_on is not None
                else dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0))
    stored_path = path if valid_text(str(path)) else Path(shown_name(str(path)))
    return OfferedFile(stored_path, sha, stat.st_size, received, str(period))


def _received_problems(outcome: "FileOutcome", offered: OfferedFile, period: Period,
                       now: dt.datetime) -> list[Problem]:
    """A received time (the file's modification time) outside a sane window is flagged.

    One in the future would make the file the latest return for ever, so the time of this
    ingest is used instead; one before the period began is kept, with a question.
    """
    if offered.received_at > now + dt.timedelta(days=1):
        said = uk_date(offered.received_at, with_time=True)
        offered.received_at = now.replace(microsecond=0)
        outcome.received_at = offered.received_at
        return [Problem(
            f"The file's modification time ({said}) is in the future, so it cannot be when the return arrived; "
            f"the time of this ingest ({uk_date(offered.received_at, with_time=True)}) is used instead.",
            file=outcome.name, code="received_in_future", value=said, severity="warning",
            fix="Check the clock of the computer the file came from; nothing else to do.")]
    if offered.received_at.date() < period.first_day:
        return [Problem(
            f"The file's modification time ({uk_date(offered.received_at, with_time=True)}) is before "
            f"{period.label} began: is this an old file, or was the return filled in on an old copy?",
            file=outcome.name, code="received_before_period", severity="warning",
            fix="Check it is this period's return; if it was filled in on an old copy, nothing else to do.")]
    return []


# ----------------------------------------------------------------------------- normalising


def _period(value: Any) -> Period | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return Period.of(value)  # Excel turned "2024-09" into a date
    text = clean_text(value)
    return Period.parse(text) if text else None


def _choice(value: Any, choices: tuple[str, ...], what: str, aliases: dict[str, str] | None = None) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    chosen = canonical_choice(text, choices) or (aliases or {}).get(text.casefold())
    if chosen is None:
        raise ValueError(f"'{text}' is not {what}: use one of {', '.join(choices)}")
    return chosen


_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "text": cell_text,
    "wrap": cell_text,
    "date": parse_date,
    "money": parse_money,
    # A return's status (this period's, and the previous one it carries) may be Not rated.
    "rag": normalise_status,
    "not_rated_reason": lambda v: _choice(v, NOT_RATED_REASONS, "a reason for not rating"),
    "period": _period,
    "milestone_status": lambda v: _choice(v, F.MILESTONE_STATUSES, "a milestone status"),
    "risk_rating": lambda v: _choice(v, F.RISK_RATINGS, "a risk rating", _RATING_ALIASES),
}


def normalise(kind: str, value: Any) -> Any:
    """The clean value of a typed one, or `Unparsed` carrying the reason it cannot be read."""
    if isinstance(value, FormulaError):
        if not value:
            return H.Unparsed(value, "The cell holds a formula that was saved without its result, so its value is "
                                     "not known (the file was saved by a program that does not calculate).")
        return H.Unparsed(value, f"The cell shows the error {value}: its formula cannot be worked out.")
    try:
        if isinstance(value, bool) and kind not in ("text", "wrap"):
            raise ValueError(f"'{value}' is a true/false value, not what this field needs")
        if isinstance(value, (dt.time, dt.timedelta)):
            raise ValueError(f"'{value}' is a time, not what this field needs")
        return _NORMALISERS[kind](value)
    except ValueError as exc:
        return H.Unparsed(value, str(exc), getattr(exc, "code", None))


# ----------------------------------------------------------------------------- validating


@dataclass
class _TableRow:
    key: str  # file key
    table: F.Table
    cells: dict[str, Any]  # column key -> reader.Cell


def _frames(returns: dict[str, RawReturn]) -> tuple[pd.DataFrame, pd.DataFrame, list[_TableRow], pd.DataFrame,
                                                    list[_TableRow]]:
    """Normalised frames for the batch: fields (by file key), milestone rows, risk rows."""
    field_records = {}
    for key, raw in returns.items():
        record = {spec.name: None for spec in F.FIELDS}
        for name, cell in raw.fields.items():
            record[name] = normalise(F.FIELD_BY_NAME[name].kind, cell.value)
        field_records[key] = record
    fields = pd.DataFrame.from_dict(field_records, orient="index", dtype=object, columns=[f.name for f in F.FIELDS])

    milestone_rows: list[_TableRow] = []
    milestone_records = []
    risk_rows: list[_TableRow] = []
    risk_records = []
    for key, raw in returns.items():
        for table in F.TABLES:
            for cells in raw.tables.get(table.name, []):
                values = {k: normalise(kind, cells[k].value) for k, _, kind in table.columns}
                if table.name == "risks":
                    risk_rows.append(_TableRow(key, table, cells))
                    risk_records.append(values)
                else:
                    milestone_rows.append(_TableRow(key, table, cells))
                    milestone_records.append({"milestone": values.get("milestone"), "status": values.get("status"),
                                              "date": values.get("date")})
    milestones = pd.DataFrame(milestone_records, columns=["milestone", "status", "date"], dtype=object)
    risks = pd.DataFrame(risk_records, columns=["risk", "mitigation", "rating"], dtype=object)
    return fields, milestones, milestone_rows, risks, risk_rows


def _display(value: Any) -> str:
    """A value as the partner would recognise it in the report (always text)."""
    if value is None:
        return ""
    if isinstance(value, H.Unparsed):
        return _display(value.raw)
    if isinstance(value, dt.date):
        return uk_date(value, with_time=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _problem(rule: H.Rule, check: str, column: str, label: str, value: Any, cell: Any, file: str,
             table_row: bool) -> Problem:
    kind = H.KINDS.get(column, "")
    fix = H.fix_for_kind(kind) if check == "unreadable" else rule.fix(label, value)
    # A value that does not parse is coded by what it should have been (not_a_date, not_a_money…),
    # unless the parser named its own reason (ambiguous_amount, not_finite).
    code = f"not_a_{kind or 'value'}" if check == "unreadable" else check
    if check == "unreadable" and isinstance(value, H.Unparsed) and value.code:
        code = value.code
    return Problem(
        rule.message(label, value), file=file, code=code, field=label, sheet=cell.sheet if cell else "",
        row=cell.row if (cell and table_row) else None, cell=cell.address if cell else "",
        value=_display(cell.value if cell else value), fix=fix,
    )


@dataclass
class Normalised:
    """A batch's normalised content, by file key: field values, and table rows by table name."""

    values: dict[str, dict[str, Any]]
    tables: dict[str, dict[str, list[dict[str, Any]]]]


def validate_batch(returns: dict[str, RawReturn], period: Period, project_ids: set[str],
                   today: dt.date, settings: Settings | None = None) -> tuple[dict[str, list[Problem]], Normalised]:
    """Validate every return at once: problems by file key, and the normalised content."""
    fields, milestones, milestone_rows, risks, risk_rows = _frames(returns)
    rules = H.messages(period, today, settings)
    report_types = {key: raw.report_type for key, raw in returns.items()}
    found: dict[str, list[Problem]] = {key: [] for key in returns}
    seen: set[tuple] = set()

    cases = H.failures(H.fields_schema(period, project_ids, today, report_types, settings), fields)
    for case in cases.itertuples(index=False):
        key, check = case.index, str(case.check)
        column = (rules[check].column if check in rules else None) or str(case.column)
        if key is None or (key, column, check) in seen or column not in F.FIELD_BY_NAME:
            continue
        seen.add((key, column, check))
        value = fields.at[key, column]
        cell = returns[key].fields.get(column)
        label = F.FIELD_BY_NAME[column].label
        found[key].append(_problem(rules[check], check, column, label, value, cell,
                                   returns[key].name, False))

    for schema, frame, rows in ((H.milestones_schema(settings), milestones, milestone_rows),
                                (H.risks_schema(), risks, risk_rows)):
        for case in H.failures(schema, frame).itertuples(index=False):
            if case.index is None or (isinstance(case.index, float) and pd.isna(case.index)):
                continue
            index, check = int(case.index), str(case.check)
            rule = rules[check]
            column = rule.column or str(case.column)
            if (id(rows), index, column, check) in seen:
                continue
            seen.add((id(rows), index, column, check))
            row = rows[index]
            header = next(h for k, h, _ in row.table.columns if k == column)
            label = f"{row.table.label}: {header}"
            found[row.key].append(_problem(rule, check, column, label, frame.at[index, column], row.cells[column],
                                           returns[row.key].name, True))
    for key in found:
        found[key].sort(key=lambda p: (_cell_order(p.cell), p.field))
    values = fields.to_dict(orient="index")
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {key: {t.name: [] for t in F.TABLES} for key in returns}
    for frame, rows in ((milestones, milestone_rows), (risks, risk_rows)):
        for row, item in zip(rows, frame.to_dict(orient="records")):
            tables[row.key][row.table.name].append(item)
    return found, Normalised(values, tables)


def _cell_order(cell: str) -> tuple[int, str]:
    digits = "".join(c for c in cell if c.isdigit())
    return (int(digits) if digits else 0, cell)


# ----------------------------------------------------------------------------- storing


def _record(raw: RawReturn, values: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> ReturnRecord:
    """The accepted return as the store keeps it, from its normalised values and rows."""
    values = {name: str(value) if isinstance(value, Period) else value for name, value in values.items()}
    return ReturnRecord(
        project_id=str(values["project_id"]), period=str(values["period"]), report_type=raw.report_type,
        template_version=raw.template_version, fields=values,
        milestones_this_period=tables["milestones_this_period"],
        milestones_next_period=tables["milestones_next_period"],
        risks=tables["risks"],
    )


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as the store keeps them (the `Problem` fields, values as text)."""
    out = []
    for p in problems:
        item = dataclasses.asdict(p)
        item["value"] = _display(p.value) if p.value is not None else None
        out.append(item)
    return out


def _log_once(store: Store, offered: OfferedFile, outcome: str, problems: list[Problem],
              project_id: str | None) -> None:
    """Log a rejected or skipped file, unless these bytes were logged with the same outcome and problems."""
    as_dicts = problem_dicts(problems)
    store.record_offer(offered, outcome, as_dicts, project_id,
                       unless=lambda earlier: earlier["outcome"] == outcome and _same_problems(earlier["problems"], as_dicts))


def _same_problems(stored: str, new: list[dict[str, Any]]) -> bool:
    import json

    def key(items: list[dict[str, Any]]) -> list[tuple]:
        return [(i.get("message"), i.get("field"), i.get("cell"), i.get("severity")) for i in items]

    return key(json.loads(stored or "[]")) == key(new)


def _later_return(store: Store, record: ReturnRecord, offered: OfferedFile) -> dict[str, Any] | None:
    """The current return for this project and period, when it was received after this file."""
    for row in store.returns_for(record.project_id, record.period):
        if row["superseded_by"] is None and row["received_at"] > offered.received_at.isoformat():
            return row
    return None


# ----------------------------------------------------------------------------- the run


def folder_offers(folder: Path, period: Period, settings: Settings,
                  received_on: dt.date | None = None) -> Iterator[Offer]:
    """Every entry of `offered_paths(folder)` as offers; a saved e-mail gives one per attached workbook.

    A file's received time is its modification time, or `received_on` when given (back-filling);
    a saved e-mail's is its message's date. Sizes are checked before anything is read or hashed
    whole; an entry that cannot be read (permissions, a vanished file, a path too long) is
    offered with the problem, unlogged.
    """
    from etl.cycle.messages import (
        is_message_name, message_headers, message_offers, read_message_file, too_big_message,
    )

    limit = int(settings.max_return_mb * 1024 * 1024)
    for path, skip_reason in offered_paths(folder):
        name = shown_name(path.relative_to(folder).as_posix())
        try:
            if skip_reason is not None:
                offered = _offered(path, period, None, limit, received_on) if path.is_file() and not path.is_symlink() else None
                yield Offer(name, path, offered, skip=skip_reason)
            elif is_message_name(path) and path.stat().st_size > limit * 78 / 57 + MB:
                # Not opened: what it carries would be over the limit once decoded from base64.
                problem = too_big_message(name, path.stat().st_size, settings.max_return_mb)
                yield Offer(name, path, _offered(path, period, None, limit), problems=[problem],
                            message=message_headers(path, settings.timezone).describe())
            elif is_message_name(path):
                message = read_message_file(path, settings.timezone)
                saved = _offered(path, period, message.raw, limit).received_at
                yield from message_offers(message, name, path, str(period), settings.timezone, saved)
            else:
                size = path.stat().st_size
                data = None if size > limit else path.read_bytes()
                yield Offer(name, path, _offered(path, period, data, limit, received_on), data, path)
        except OSError as exc:
            yield Offer(name, path, None, problems=[Problem(
                f"The file cannot be read ({exc.strerror or exc.__class__.__name__}).", file=name, code="unreadable_file",
                fix="Check the file's permissions (the account running pmo must be able to read it), then run again.")])


def ingest_folder(
    folder: Path,
    period: Period,
    store: Store,
    portfolio: pd.DataFrame,
    settings: Settings,
    on_file: Callable[[Path], None] | None = None,
    today: dt.date | None = None,
    received_on: dt.date | None = None,
) -> IngestResult:
    """Ingest every return in `folder` (and below; saved e-mails too) for `period` into the store.

    `portfolio` is `etl.cycle.portfolio.load_portfolio`'s frame. `on_file(path)` is called once
    for each entry of `offered_paths(folder)` when it is done. `received_on` is the day a file
    is taken to have been received (loading past periods), instead of its modification time;
    a saved e-mail keeps its message's date. Raises `ConfigError` when the folder does not exist.
    """
    # Absolute, so the store's paths still find the files from another working folder.
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: folder of returns not found")
    return ingest_offers(folder_offers(folder, period, settings, received_on), folder, period, store, portfolio, settings,
                         on_file, today)


def ingest_offers(
    offers: Iterable[Offer],
    folder: Path,
    period: Period,
    store: Store,
    portfolio: pd.DataFrame,
    settings: Settings,
    on_file: Callable[[Path], None] | None = None,
    today: dt.date | None = None,
) -> IngestResult:
    """Ingest `offers` (files of `folder`, or workbooks attached to e-mails) for `period` into the store."""
    from etl.cycle.portfolio import reporting_plan

    today = today or dt.date.today()
    result = IngestResult(period, Path(folder))
    told: set[Path] = set()

    def done(path: Path) -> None:
        # Once per entry of the folder, however many workbooks a message carried.
        if on_file is not None and path not in told:
            told.add(path)
            on_file(path)

    delay = float(os.environ.get(SLOW_ENV) or 0)

    plan = reporting_plan(portfolio, period, settings)
    owed = {str(k): v for k, v in plan["report_type"].items() if isinstance(v, str)}
    pending: list[tuple[FileOutcome, OfferedFile]] = []
    returns: dict[str, RawReturn] = {}
    first_of: dict[str, FileOutcome] = {}  # sha256 -> the first file with these bytes in this run
    copies: list[tuple[FileOutcome, FileOutcome]] = []
    now = dt.datetime.now()
    message_of: dict[str, str] = {}  # outcome name -> its message's key
    for item in offers:
        name, path = item.name, item.path
        outcome = FileOutcome(path, name, message=item.message)
        offered = item.offered
        if item.skip is not None:
            outcome.outcome = OUTCOME_SKIPPED
            outcome.problems = [Problem(f"Skipped: {item.skip}.", file=name, code="skipped", severity="warning")]
            if offered is not None:
                _describe(outcome, offered)
                _log_once(store, offered, SKIPPED, outcome.problems, None)
            result._add(outcome)
            done(path)
            continue
        if offered is None:
            # An entry that could not be read at all (permissions, a vanished file): reported for
            # itself, not logged (it has no bytes to identify it by).
            outcome.outcome, outcome.problems = OUTCOME_REJECTED, list(item.problems)
            result._add(outcome)
            done(path)
            continue
        _describe(outcome, offered)
        received = _received_problems(outcome, offered, period, now)
        if item.problems:
            outcome.problems = list(item.problems) + received
            pending.append((outcome, offered))
            continue
        earlier = store.accepted_return_for(offered.sha256)
        if earlier is not None or offered.sha256 in first_of:
            if earlier is not None:
                _already_ingested(outcome, earlier)
            else:
                outcome.outcome = OUTCOME_DUPLICATE
                copies.append((outcome, first_of[offered.sha256]))
            result._add(outcome)
            done(path)
            continue
        first_of[offered.sha256] = outcome
        raw = _read(outcome, item.data, settings, item.read_as or path, owed)
        outcome.problems += received
        if raw is not None:
            returns[name] = raw
        if item.message_key:
            message_of[name] = item.message_key
        pending.append((outcome, offered))

    found, normalised = validate_batch(returns, period, set(map(str, portfolio.index)), today, settings)
    several = _several_per_project(pending, message_of)
    for outcome, offered in pending:
        raw = returns.get(outcome.name)
        if raw is not None:
            values = normalised.values[outcome.name]
            outcome.problems += found[outcome.name]
            if isinstance(values["project_id"], str):
                outcome.project_id = values["project_id"]
            outcome.problems += _plan_warnings(outcome, raw, plan, period)
            outcome.problems += _date_warnings(outcome, raw, values, period, settings)
            outcome.problems += several.get(outcome.name, [])
            outcome.problems += _sender_warnings(outcome, offered, portfolio)
        if raw is not None and not outcome.errors:
            _accept(store, outcome, offered, _record(raw, normalised.values[outcome.name],
                                                     normalised.tables[outcome.name]))
        else:
            outcome.outcome = OUTCOME_REJECTED
            _log_once(store, offered, REJECTED, outcome.problems, outcome.project_id)
        result._add(outcome)
        if delay:
            time.sleep(delay)
        done(outcome.path)

    for copy, first in copies:
        # Said once the first file's fate is known.
        copy.project_id = first.project_id
        copy.problems = [Problem(f"Identical to {first.name} ({first.outcome.lower()} above); skipped.",
                                 file=copy.name, code="duplicate", severity="warning")]
    return result


def _several_per_project(pending: list[tuple[FileOutcome, OfferedFile]],
                         message_of: dict[str, str]) -> dict[str, list[Problem]]:
    """An error for each workbook of a message that carries more than one for the same project."""
    groups: dict[tuple[str, str], list[str]] = {}
    for outcome, _ in pending:
        if outcome.name in message_of and outcome.project_id:
            groups.setdefault((message_of[outcome.name], outcome.project_id), []).append(outcome.name)
    out: dict[str, list[Problem]] = {}
    for (_, project), names in groups.items():
        if len(names) > 1:
            for name in names:
                out[name] = [Problem(
                    f"The message carries {len(names)} workbooks for {project} "
                    f"({', '.join(n.rsplit(' › ', 1)[-1] for n in names)}): which one is the return is not clear, "
                    "so none was taken.", file=name, code="several_workbooks",
                    fix="Ask the sender to reply with only the final return attached.")]
    return out


def _sender_warnings(outcome: FileOutcome, offered: OfferedFile, portfolio: pd.DataFrame) -> list[Problem]:
    """A return e-mailed by someone other than the project's manager or internal representative."""
    from etl.cycle.messages import expected_senders, sender_problem

    if not offered.sender or outcome.project_id not in portfolio.index:
        return []
    row = portfolio.loc[outcome.project_id]
    expected = expected_senders(row.get("project_manager_email"), row.get("internal_representative_email"))
    problem = sender_problem(offered.sender, expected, outcome.name)
    return [problem] if problem else []


def _read(outcome: FileOutcome, data: bytes | None, settings: Settings, read_as: Path,
          report_types: dict[str, str] | None = None) -> RawReturn | None:
    """Read one return (its kind from `read_as`'s extension); on failure, None with the reasons in `outcome.problems`.

    `report_types`: the report type each project owes this period (the portfolio decides)."""
    if data is None:
        outcome.problems = [too_big(outcome.name, outcome.size or 0, settings.max_return_mb)]
        return None
    try:
        raw = read_return(read_as, data, settings.max_return_mb, name=outcome.name, report_types=report_types)
    except ReturnUnreadable as exc:
        outcome.problems, outcome.project_id = exc.problems, exc.project_id
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - e.g. a reader panic on a malformed part
        # One odd file must not stop the batch: reject it, saying what failed.
        outcome.problems = [Problem(
            f"The workbook could not be read ({exc.__class__.__name__}: {exc}).", file=outcome.name, code="unreadable",
            fix="Ask the sender to save the workbook again as .xlsx and re-attach it.")]
        return None
    outcome.project_id = raw.project_id
    outcome.problems = list(raw.warnings)
    return raw


def _accept(store: Store, outcome: FileOutcome, offered: OfferedFile, record: ReturnRecord) -> None:
    """Store an accepted return (one transaction), saying which return is current and why.

    The return received last (by its file's modification time) is the current one; on equal
    times the one ingested later (within a run: later in file-name order) is.
    """
    later = _later_return(store, record, offered)
    current = next((r for r in store.returns_for(record.project_id, record.period) if r["superseded_by"] is None), None)
    when = uk_date(offered.received_at, with_time=True)
    if later is not None:
        outcome.problems.append(Problem(
            f"A return for {record.project_id} {record.period} received later ({later['file_name']}, "
            f"{_uk_time(later['received_at'])}) is already on record, so this one (received {when}) is kept as "
            "superseded by it.", file=outcome.name, code="later_return_stands", severity="warning",
            fix="If this file is the correction, save it again (so its time is now) and ingest it again."))
    elif current is not None:
        tie = current["received_at"] == offered.received_at.replace(microsecond=0).isoformat()
        outcome.problems.append(Problem(
            f"This return (received {when}) replaces {current['file_name']} (received "
            f"{_uk_time(current['received_at'])}) as the current {record.project_id} {record.period} return"
            + ("; both were received at the same time, so the one ingested later (this one) is current." if tie
               else ", because it was received later."),
            file=outcome.name, code="supersedes", severity="warning",
            fix="Nothing to do; the earlier return stays on record."))
    record.warnings = [p.message for p in outcome.problems]
    stored = store.accept_return(offered, record, problems=problem_dicts(outcome.problems))
    if stored.already is not None:  # another officer's run stored these bytes meanwhile
        _already_ingested(outcome, stored.already)
        return
    outcome.return_id = stored.return_id
    outcome.outcome = OUTCOME_SUPERSEDES if stored.superseded_id is not None else OUTCOME_ACCEPTED


def _already_ingested(outcome: FileOutcome, earlier: Any) -> None:
    """These exact bytes are already a stored return: the file is reported as a duplicate."""
    outcome.outcome = OUTCOME_DUPLICATE
    outcome.project_id = earlier["project_id"]
    outcome.problems = [Problem(
        f"Identical to {earlier['file_name']}, the {earlier['project_id']} {earlier['period']} return "
        f"already ingested on {_uk_day(earlier['ingested_at'])}; skipped.", file=outcome.name, code="duplicate",
        severity="warning")]


def _uk_time(iso: str) -> str:
    return uk_date(dt.datetime.fromisoformat(iso), with_time=True)


def _uk_day(iso: str) -> str:
    return uk_date(stored_date(iso))


def _describe(outcome: FileOutcome, offered: OfferedFile) -> None:
    outcome.sha256, outcome.size, outcome.received_at = offered.sha256, offered.size, offered.received_at


def _plan_warnings(outcome: FileOutcome, raw: RawReturn, plan: pd.DataFrame, period: Period) -> list[Problem]:
    """A return that was not due this period is accepted, with a warning saying so."""
    project = outcome.project_id
    if project not in plan.index:
        return []
    row = plan.loc[project]
    if bool(row["due"]):
        return []
    why = f"{row['stage']}, reporting {str(row['frequency']).lower()}" if row["frequency"] else str(row["stage"])
    cell = raw.fields.get("project_id")
    return [Problem(
        f"{project} is not due to report for {period} ({why}); the return was accepted anyway.",
        file=outcome.name, code="not_due", field=F.FIELD_BY_NAME["project_id"].label, sheet=cell.sheet if cell else "",
        cell=cell.address if cell else "", value=project, severity="warning",
        fix="Nothing to do, unless the project's stage or frequency on the portfolio is out of date.",
    )]


def _date_warnings(outcome: FileOutcome, raw: RawReturn, values: dict[str, Any], period: Period,
                   settings: Settings) -> list[Problem]:
    """A forecast completion before the period began is possible but worth a question."""
    forecast = values.get("forecast_completion_date")
    if not isinstance(forecast, dt.date) or forecast >= period.first_day or forecast < settings.earliest_date:
        return []
    cell = raw.fields.get("forecast_completion_date")
    return [Problem(
        f"The forecast completion date {uk_date(forecast)} is before {period.label} began: has the project "
        "finished, or is the forecast out of date?", file=outcome.name, code="forecast_before_period",
        field=F.FIELD_BY_NAME["forecast_completion_date"].label, sheet=cell.sheet if cell else "",
        cell=cell.address if cell else "", value=_display(cell.value) if cell else None, severity="warning",
        fix="If the project has finished, tell the Programme Office so it can be closed; otherwise update the forecast.",
    )]
