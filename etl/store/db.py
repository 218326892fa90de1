"""The history store: every file offered, every accepted return, KPI values, messages sent.

SQLite from the standard library (`--db`, env `PMO_DB`, default `./pmo.db`). The schema is
versioned (`PRAGMA user_version`) and created or upgraded on first use. Each file's outcome
is written in one transaction, so a run killed at any moment leaves the store consistent
and a re-run completes it. Accepted returns keep their raw file in `archive/<sha256>/`
beside the database. A resubmission for the same project and period supersedes the earlier
return (the one received later wins) and both stay on record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from etl.contracts.fields import FIELDS
from etl.files import atomic_path
from etl.rules.periods import Period

DEFAULT_DB = "pmo.db"

ACCEPTED, REJECTED, SKIPPED = "accepted", "rejected", "skipped"
OUTCOMES = (ACCEPTED, REJECTED, SKIPPED)

_SQL_TYPE = {"money": "REAL"}


# Fields added to the contract after the first schema: later migrations add their columns.
_LATER_FIELDS = ("not_rated_reason", "not_rated_note")


def _return_columns() -> str:
    return ",\n    ".join(f"{f.name} {_SQL_TYPE.get(f.kind, 'TEXT')}" for f in FIELDS
                          if f.name not in ("project_id", "period", *_LATER_FIELDS))


# Each entry upgrades the schema by one version; never edit a released entry, add one.
MIGRATIONS: tuple[str, ...] = (
    f"""
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT,
    size INTEGER,
    offered_at TEXT NOT NULL,
    period TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'skipped')),
    project_id TEXT,
    return_id INTEGER REFERENCES returns(id),
    problems TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX files_sha ON files(sha256);
CREATE INDEX files_period ON files(period);

CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    period TEXT NOT NULL,
    report_type TEXT NOT NULL,
    template_version TEXT,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    archive_path TEXT,
    received_at TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    superseded_by INTEGER REFERENCES returns(id),
    warnings TEXT NOT NULL DEFAULT '[]',
    {_return_columns()}
);
CREATE INDEX returns_project_period ON returns(project_id, period);
CREATE UNIQUE INDEX returns_one_current ON returns(project_id, period) WHERE superseded_by IS NULL;

CREATE TABLE milestones (
    return_id INTEGER NOT NULL REFERENCES returns(id),
    section TEXT NOT NULL CHECK (section IN ('this', 'next')),
    seq INTEGER NOT NULL,
    milestone TEXT,
    status TEXT,
    date TEXT,
    PRIMARY KEY (return_id, section, seq)
);

CREATE TABLE risks (
    return_id INTEGER NOT NULL REFERENCES returns(id),
    seq INTEGER NOT NULL,
    risk TEXT,
    mitigation TEXT,
    rating TEXT,
    PRIMARY KEY (return_id, seq)
);

CREATE TABLE kpi_values (
    period TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    previous_value REAL,
    target REAL,
    status TEXT,
    rag_direction TEXT,
    rag_target TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (period, metric)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('send', 'chase', 'feedback')),
    period TEXT NOT NULL,
    project_id TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    cc TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    attachment_name TEXT,
    attachment_sha256 TEXT,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'draft')),
    error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_period ON messages(kind, period, project_id);
""",
    # 2 (register): the projects each register listed, and their stage, so the next
    # period's register can say which projects were added or closed since.
    """
CREATE TABLE register_projects (
    period TEXT NOT NULL,
    project_id TEXT NOT NULL,
    stage TEXT,
    built_at TEXT NOT NULL,
    PRIMARY KEY (period, project_id)
);
""",
    # 3 (issue 16, returns by e-mail): who sent a file and in which message, where its
    # received time came from ('file time' or 'message date'); and each mailbox message
    # `pmo collect` has taken for a period, by UID within its UIDVALIDITY and by
    # Message-ID, so a re-run fetches nothing twice (a return for another month, rejected
    # as such, is still there for that month's run).
    """
ALTER TABLE files ADD COLUMN sender TEXT;
ALTER TABLE files ADD COLUMN subject TEXT;
ALTER TABLE files ADD COLUMN message_id TEXT;
ALTER TABLE files ADD COLUMN received_source TEXT;
CREATE TABLE mailbox_messages (
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT,
    period TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    collected_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid, period)
);
CREATE INDEX mailbox_messages_id ON mailbox_messages(message_id);
""",
    # 4 (issue 12, scorecard; SQL in etl/store/kpis.py): a KPI's history per data release
    # (its `Date of Latest Available Data`), so a KPI whose data has not moved keeps its
    # ratings; and the Most Complex list each report showed, so the next says what changed.
    """
CREATE TABLE kpi_releases (
    metric TEXT NOT NULL,
    data_date TEXT NOT NULL,
    value REAL,
    previous_value REAL,
    previous_from TEXT,
    target REAL,
    status TEXT,
    rag_direction TEXT,
    rag_target TEXT,
    first_period TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (metric, data_date)
);
CREATE TABLE scorecard_projects (
    period TEXT NOT NULL,
    project_id TEXT NOT NULL,
    project_name TEXT,
    reason TEXT,
    built_at TEXT NOT NULL,
    PRIMARY KEY (period, project_id)
);
""",
    # 5 (issue 17, the register over time; SQL in etl/store/positions.py): a return may say
    # "Not rated" with a reason and a note; and each register records every project's position
    # (stage, status, what it showed), so a later register's trend and changes use the period
    # as it was.
    """
ALTER TABLE returns ADD COLUMN not_rated_reason TEXT;
ALTER TABLE returns ADD COLUMN not_rated_note TEXT;
CREATE TABLE positions (
    period TEXT NOT NULL,
    project_id TEXT NOT NULL,
    stage TEXT,
    frequency TEXT,
    status TEXT NOT NULL,
    rag TEXT,
    rag_period TEXT,
    not_rated_reason TEXT,
    built_at TEXT NOT NULL,
    PRIMARY KEY (period, project_id)
);
""",
)

SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    """The current time, to the second, in UTC ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def sha256_of(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class OfferedFile:
    """A file offered to ingest."""

    path: Path
    sha256: str
    size: int
    received_at: dt.datetime
    period: str | None = None
    # A workbook attached to an e-mail (issue 16): who sent it, in which message, where its
    # received time came from; its bytes (it is not a file on disk) and the message itself,
    # (safe name, bytes), archived beside it as evidence; `display_name` is its safe name.
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    received_source: str | None = None
    data: bytes | None = field(default=None, repr=False)
    evidence: tuple[str, bytes] | None = field(default=None, repr=False)
    display_name: str | None = None

    @classmethod
    def from_path(cls, path: Path | str, period: str | None = None, received_at: dt.datetime | None = None) -> "OfferedFile":
        path = Path(path)
        stat = path.stat()
        when = received_at or dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
        return cls(path, sha256_of(path), stat.st_size, when, period)

    @property
    def name(self) -> str:
        return self.display_name or self.path.name


@dataclass
class ReturnRecord:
    """An accepted return's content: single-value fields and its table rows, typed."""

    project_id: str
    period: str
    report_type: str
    template_version: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    milestones_this_period: list[dict[str, Any]] = field(default_factory=list)
    milestones_next_period: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AcceptOutcome:
    return_id: int
    superseded_id: int | None  # the earlier return this one replaced


def _to_sql(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Store:
    """A connection to the history store. Use as a context manager or call `close()`."""

    def __init__(self, path: Path | str = DEFAULT_DB, archive_dir: Path | str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.archive_dir = Path(archive_dir) if archive_dir else self.path.parent / "archive"
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        # Write-ahead log: a commit is one append, not two fsyncs, so storing a thousand
        # returns one transaction each takes a second, not a minute; a killed run still
        # leaves every committed transaction and nothing of the one in flight.
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            from etl.errors import ConfigError

            raise ConfigError(
                f"{self.path}: the store was written by a newer pmo (schema {version}, this pmo knows {SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ----------------------------------------------------------------- ingest side

    def archive(self, offered: OfferedFile) -> Path:
        """Copy the raw file to `archive/<sha256>/<name>` (once; atomically), and the e-mail it came in beside it."""
        folder = self.archive_dir / offered.sha256
        target = folder / offered.name
        if not target.exists():
            with atomic_path(target) as tmp:
                if offered.data is not None:
                    tmp.write_bytes(offered.data)
                else:
                    shutil.copyfile(offered.path, tmp)
        if offered.evidence is not None and not (folder / offered.evidence[0]).exists():
            with atomic_path(folder / offered.evidence[0]) as tmp:
                tmp.write_bytes(offered.evidence[1])
        return target

    def accepted_return_for(self, sha256: str) -> sqlite3.Row | None:
        """The return stored from these exact bytes, if any."""
        return self.db.execute("SELECT * FROM returns WHERE sha256 = ?", (sha256,)).fetchone()

    def offers_of(self, sha256: str) -> list[sqlite3.Row]:
        """Every time these exact bytes were offered, oldest first."""
        return self.db.execute("SELECT * FROM files WHERE sha256 = ? ORDER BY id", (sha256,)).fetchall()

    def record_rejected(self, offered: OfferedFile, problems: list[dict], project_id: str | None = None) -> int:
        """Log a rejected (or skipped, when `problems` say so) file in one transaction."""
        return self.record_offer(offered, REJECTED, problems, project_id)

    def record_offer(
        self, offered: OfferedFile, outcome: str, problems: list[dict] | None = None,
        project_id: str | None = None, return_id: int | None = None,
    ) -> int:
        with self.transaction():
            return self._insert_offer(offered, outcome, problems or [], project_id, return_id)

    def _insert_offer(
        self, offered: OfferedFile, outcome: str, problems: list[dict], project_id: str | None, return_id: int | None
    ) -> int:
        # An attachment exists only in its message: the archived copy is the file on record.
        path = self.archive(offered) if offered.data is not None else offered.path
        cursor = self.db.execute(
            "INSERT INTO files (sha256, name, path, size, offered_at, period, outcome, project_id, return_id, problems,"
            " sender, subject, message_id, received_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                offered.sha256, offered.name, str(path), offered.size, now_iso(), offered.period,
                outcome, project_id, return_id, json.dumps(problems, default=str),
                offered.sender, offered.subject, offered.message_id, offered.received_source,
            ),
        )
        return int(cursor.lastrowid)

    def accept_return(self, offered: OfferedFile, record: ReturnRecord,
                      problems: list[dict] | None = None) -> AcceptOutcome:
        """Archive the file and store the return, its rows and the file's log in one transaction.

        The return received last is the current one for its project and period; the other
        is marked superseded, and stays on record. `problems` (warnings, as dicts of the
        `Problem` fields) go in the file's log; by default the record's warnings are used.
        """
        archived = self.archive(offered)
        received = _to_sql(offered.received_at)
        columns = [f.name for f in FIELDS if f.name not in ("project_id", "period")]
        with self.transaction():
            current = self.db.execute(
                "SELECT id, received_at FROM returns WHERE project_id = ? AND period = ? AND superseded_by IS NULL",
                (record.project_id, record.period),
            ).fetchone()
            newer_exists = current is not None and current["received_at"] > received
            if current is not None and not newer_exists:
                # Free the "one current return" slot before inserting the new one (a
                # self-reference keeps the foreign key valid until it is pointed below).
                self.db.execute("UPDATE returns SET superseded_by = id WHERE id = ?", (current["id"],))
            values = [_to_sql(record.fields.get(c)) for c in columns]
            cursor = self.db.execute(
                f"INSERT INTO returns (project_id, period, report_type, template_version, sha256, file_name,"
                f" archive_path, received_at, ingested_at, superseded_by, warnings, {', '.join(columns)})"
                f" VALUES ({', '.join('?' * (11 + len(columns)))})",
                [
                    record.project_id, record.period, record.report_type, record.template_version, offered.sha256,
                    offered.name, str(archived), received, now_iso(),
                    current["id"] if newer_exists else None, json.dumps(record.warnings), *values,
                ],
            )
            return_id = int(cursor.lastrowid)
            if current is not None and not newer_exists:
                self.db.execute("UPDATE returns SET superseded_by = ? WHERE id = ?", (return_id, current["id"]))
            for section, rows in (("this", record.milestones_this_period), ("next", record.milestones_next_period)):
                for seq, row in enumerate(rows, start=1):
                    self.db.execute(
                        "INSERT INTO milestones (return_id, section, seq, milestone, status, date) VALUES (?, ?, ?, ?, ?, ?)",
                        (return_id, section, seq, row.get("milestone"), row.get("status"),
                         _to_sql(row.get("date"))),
                    )
            for seq, row in enumerate(record.risks, start=1):
                self.db.execute(
                    "INSERT INTO risks (return_id, seq, risk, mitigation, rating) VALUES (?, ?, ?, ?, ?)",
                    (return_id, seq, row.get("risk"), row.get("mitigation"), row.get("rating")),
                )
            if problems is None:
                problems = [{"message": w, "severity": "warning"} for w in record.warnings]
            self._insert_offer(offered, ACCEPTED, problems, record.project_id, return_id)
        return AcceptOutcome(
            return_id,
            superseded_id=current["id"] if current is not None and not newer_exists else None,
        )

    # ----------------------------------------------------------------- queries

    def current_returns(self, period: str | Period | None = None) -> list[dict[str, Any]]:
        """The current (not superseded) return of each project, for one period or all."""
        sql = "SELECT * FROM returns WHERE superseded_by IS NULL"
        args: tuple = ()
        if period is not None:
            sql += " AND period = ?"
            args = (str(period),)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY project_id, period", args)]

    def returns_for(self, project_id: str, period: str | Period | None = None) -> list[dict[str, Any]]:
        """Every return a project sent (superseded ones included), oldest first."""
        sql = "SELECT * FROM returns WHERE project_id = ?"
        args: tuple = (project_id,)
        if period is not None:
            sql += " AND period = ?"
            args += (str(period),)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY period, received_at, id", args)]

    def latest_return(self, project_id: str, before: str | Period | None = None) -> dict[str, Any] | None:
        """The project's current return for its latest period (strictly before `before` if given)."""
        sql = "SELECT * FROM returns WHERE project_id = ? AND superseded_by IS NULL"
        args: tuple = (project_id,)
        if before is not None:
            sql += " AND period < ?"
            args += (str(before),)
        row = self.db.execute(sql + " ORDER BY period DESC LIMIT 1", args).fetchone()
        return dict(row) if row else None

    def latest_returns(self, before: str | Period | None = None, up_to: str | Period | None = None) -> dict[str, dict[str, Any]]:
        """Project ID → its latest current return (before a period, or up to and including one)."""
        sql = "SELECT * FROM returns WHERE superseded_by IS NULL"
        args: tuple = ()
        if before is not None:
            sql += " AND period < ?"
            args += (str(before),)
        if up_to is not None:
            sql += " AND period <= ?"
            args += (str(up_to),)
        latest: dict[str, dict[str, Any]] = {}
        for row in self.db.execute(sql + " ORDER BY project_id, period", args):
            latest[row["project_id"]] = dict(row)
        return latest

    def previous_rag(self, project_id: str, period: str | Period) -> str | None:
        """The RAG of the project's latest accepted return before this period."""
        row = self.latest_return(project_id, before=period)
        return row["rag_this_period"] if row else None

    def milestones(self, return_id: int, section: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT milestone, status, date FROM milestones WHERE return_id = ? AND section = ? ORDER BY seq",
            (return_id, section),
        )
        return [dict(r) for r in rows]

    def risks(self, return_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT risk, mitigation, rating FROM risks WHERE return_id = ? ORDER BY seq", (return_id,))
        return [dict(r) for r in rows]

    def files(self, period: str | Period | None = None) -> list[dict[str, Any]]:
        """The file log, oldest first; problems decoded."""
        sql, args = "SELECT * FROM files", ()
        if period is not None:
            sql, args = sql + " WHERE period = ?", (str(period),)
        out = []
        for row in self.db.execute(sql + " ORDER BY id", args):
            item = dict(row)
            item["problems"] = json.loads(item["problems"] or "[]")
            out.append(item)
        return out

    def senders_of(self, return_ids: list[int]) -> dict[int, str]:
        """Return id → the address its file was e-mailed from (only returns that came by e-mail)."""
        out: dict[int, str] = {}
        for chunk in _chunks(return_ids, 900):
            marks = ", ".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT return_id, sender FROM files WHERE outcome = 'accepted' AND sender IS NOT NULL"
                f" AND return_id IN ({marks})", chunk,
            ):
                out[row["return_id"]] = row["sender"]
        return out

    # ----------------------------------------------------------------- mailbox (pmo collect)

    def collected_uids(self, mailbox: str, uidvalidity: int, period: str) -> set[int]:
        """UIDs of the messages already taken from this mailbox folder (in this UIDVALIDITY) for a period."""
        rows = self.db.execute("SELECT uid FROM mailbox_messages WHERE mailbox = ? AND uidvalidity = ? AND period = ?",
                               (mailbox, uidvalidity, period))
        return {int(r["uid"]) for r in rows}

    def collected_message(self, message_id: str, period: str) -> sqlite3.Row | None:
        """The first mailbox message taken (or refused) for a period with this Message-ID, not a copy of one."""
        return self.db.execute(
            "SELECT * FROM mailbox_messages WHERE message_id = ? AND period = ? AND outcome <> 'already taken'"
            " ORDER BY collected_at, uid LIMIT 1",
            (message_id, period)).fetchone()

    def record_collected(self, mailbox: str, uidvalidity: int, uid: int, message_id: str | None, period: str,
                         outcome: str, detail: str = "") -> None:
        """Remember a mailbox message was taken (and what became of it), so no re-run fetches it again."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO mailbox_messages (mailbox, uidvalidity, uid, message_id, period, outcome, detail,"
                " collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mailbox, uidvalidity, uid, period) DO NOTHING",
                (mailbox, uidvalidity, uid, message_id, period, outcome, detail, now_iso()),
            )

    # ----------------------------------------------------------------- register

    def rag_history(self, up_to: str | Period) -> list[sqlite3.Row]:
        """Every current return up to and including a period, light columns only, ordered by
        project then period: `id`, `project_id`, `period`, `received_at`, `rag_this_period`,
        `forecast_completion_date` (one query, for registers of thousands of projects)."""
        return self.db.execute(
            "SELECT id, project_id, period, received_at, rag_this_period, forecast_completion_date"
            " FROM returns WHERE superseded_by IS NULL AND period <= ? ORDER BY project_id, period",
            (str(up_to),),
        ).fetchall()

    def returns_by_id(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Return id → the whole return row, with its first next-period milestone
        (`first_next_milestone`, `first_next_milestone_date`) and its first risk rated
        highest (`first_risk`, `first_risk_mitigation`)."""
        out: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(ids, 900):  # SQLite's limit on bound parameters
            marks = ", ".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT * FROM returns WHERE id IN ({marks})", chunk):
                out[row["id"]] = dict(row)
            for row in self.db.execute(
                f"SELECT return_id, milestone, date FROM milestones WHERE section = 'next' AND return_id IN ({marks})"
                " AND milestone IS NOT NULL ORDER BY return_id, seq DESC", chunk,
            ):
                out[row["return_id"]].update(first_next_milestone=row["milestone"], first_next_milestone_date=row["date"])
            for row in self.db.execute(
                f"SELECT return_id, risk, mitigation FROM risks WHERE return_id IN ({marks}) AND risk IS NOT NULL"
                " ORDER BY return_id, CASE rating WHEN 'High' THEN 0 WHEN 'Medium' THEN 1 WHEN 'Low' THEN 2 ELSE 3 END DESC,"
                " seq DESC", chunk,
            ):
                out[row["return_id"]].update(first_risk=row["risk"], first_risk_mitigation=row["mitigation"])
        return out

    def latest_received_at(self) -> str | None:
        """When the most recently received return (of any period) came in."""
        return self.db.execute("SELECT MAX(received_at) FROM returns").fetchone()[0]

    def record_register_projects(self, period: str | Period, stages: dict[str, str | None]) -> None:
        """Remember the projects (and their stages) a period's register listed, replacing any earlier build."""
        with self.transaction():
            self.db.execute("DELETE FROM register_projects WHERE period = ?", (str(period),))
            self.db.executemany(
                "INSERT INTO register_projects (period, project_id, stage, built_at) VALUES (?, ?, ?, ?)",
                [(str(period), pid, stage, now_iso()) for pid, stage in stages.items()],
            )

    def register_projects(self, period: str | Period) -> dict[str, str | None] | None:
        """Project ID → stage as that period's register listed them; None if none was built."""
        rows = self.db.execute("SELECT project_id, stage FROM register_projects WHERE period = ?", (str(period),))
        found = {r["project_id"]: r["stage"] for r in rows}
        return found or None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
