"""The history store: every file offered, every accepted return, KPI values, messages sent,
and who did what (`runs`).

An SQLite file (`--db`, env `PMO_DB`, default `./pmo.db`) or a PostgreSQL server (a
`postgresql://` URL; see `etl.store.backend`), with the same schema and the same SQL. The
schema is versioned (`PRAGMA user_version`; a `pmo_schema` table on PostgreSQL) and created
or upgraded on first use. Each file's outcome is written in one transaction, so a run
killed at any moment leaves the store consistent and a re-run completes it. Writers take
the store's one writer lock, so officers' runs at the same time follow one another.
Accepted returns keep their raw file in `archive/<sha256>/` beside an SQLite store, in the
`archive` table of a server store. A resubmission for the same project and period
supersedes the earlier return (the one received later wins) and both stay on record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from etl.contracts.fields import FIELDS
from etl.files import atomic_path
from etl.rules.periods import Period
from etl.store import runs
from etl.store.backend import StoreError, describe, is_url, now_iso, open_backend, store_failure

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
    # 6 (issue 14, a shared store): who did what (`runs`, and the run behind each logged
    # file, message and register); claims that stop two runs sending one message; and the
    # archived raw files themselves, kept in the database when it is a shared server.
    """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    officer TEXT NOT NULL,
    command TEXT NOT NULL,
    period TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT,
    counts TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_started ON runs(started_at);
ALTER TABLE files ADD COLUMN run_id INTEGER REFERENCES runs(id);
ALTER TABLE messages ADD COLUMN run_id INTEGER REFERENCES runs(id);
ALTER TABLE register_projects ADD COLUMN run_id INTEGER REFERENCES runs(id);
ALTER TABLE positions ADD COLUMN run_id INTEGER REFERENCES runs(id);

CREATE TABLE message_claims (
    claim_key TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('claimed')),
    run_id INTEGER REFERENCES runs(id),
    claimed_at TEXT NOT NULL
);

CREATE TABLE archive (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    stored_at TEXT NOT NULL
);
""",
)

# The tables in the order their rows can be copied (each after those it refers to).
TABLES: tuple[str, ...] = (
    "runs", "returns", "files", "milestones", "risks", "kpi_values", "messages", "message_claims",
    "register_projects", "archive",
)

# A claim older than this whose run never said how the sending went (the run was killed
# mid-send) may be taken over by a later run.
STALE_CLAIM = dt.timedelta(minutes=10)

SCHEMA_VERSION = len(MIGRATIONS)


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
    already: dict[str, Any] | None = None  # the return these bytes were already stored as (nothing written)


def _to_sql(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Store:
    """A connection to the history store (an SQLite file or a PostgreSQL URL). Use as a
    context manager or call `close()`.

    Writes go through `transaction()`, which takes the store's one writer lock: on SQLite
    `BEGIN IMMEDIATE`, on PostgreSQL an advisory lock. A run that finds another writing
    waits (saying so on stderr after a few seconds) rather than failing.
    """

    def __init__(self, path: Path | str = DEFAULT_DB, archive_dir: Path | str | None = None,
                 record_run: bool = True):
        self.location = path if is_url(path) else Path(path)
        self.backend = open_backend(path)
        self.dialect = self.backend.dialect
        self.db = self.backend.db
        self.path: Path | None = None if is_url(path) else Path(path)
        # SQLite keeps archived files in a folder beside the database; a shared server keeps
        # them in its `archive` table, so any officer's machine can fetch any of them.
        if self.path is not None:
            self.archive_dir: Path | None = Path(archive_dir) if archive_dir else self.path.parent / "archive"
        else:
            self.archive_dir = Path(archive_dir) if archive_dir else None
        self.run_id: int | None = None
        self.officer: str | None = None
        try:
            self._migrate()
            if record_run:
                self._join_run()
        except Exception as exc:
            self.close()
            failure = store_failure(exc, path)
            if failure is None:
                raise
            raise failure from None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    def _migrate(self) -> None:
        if self._check_version() == SCHEMA_VERSION:
            return
        # Under the writer lock, so two runs opening a new store at once create it once.
        with self.transaction():
            for number in range(self._check_version(), SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(self.backend.ddl(statement))
                self.backend.set_schema_version(number + 1)

    def _check_version(self) -> int:
        version = self.backend.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{describe(self.location)}: the store was written by a newer pmo (schema {version}, "
                f"this pmo knows {SCHEMA_VERSION}); update pmo to use it"
            )
        return version

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """All or nothing, as the store's one writer: committed at the end, rolled back on any error."""
        self.backend.begin_write(None)
        try:
            yield self.db
        except BaseException:
            self.backend.rollback()
            raise
        self.backend.commit()

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an `INSERT … RETURNING id` (inside a transaction) and give the new row's id."""
        return int(self.db.execute(sql, params).fetchone()[0])

    # ----------------------------------------------------------------- who did what

    def _join_run(self) -> None:
        """Write the run in progress (if a command is recording one) to this store, once."""
        run = runs.current()
        if run is None:
            return
        key = str(self.location)
        if key not in run.ids:
            with self.transaction():
                run.ids[key] = self.insert(
                    "INSERT INTO runs (officer, command, period, options, started_at, outcome)"
                    " VALUES (?, ?, ?, ?, ?, 'running') RETURNING id",
                    (run.officer, run.command, run.period, json.dumps(run.options), run.started_at),
                )
        self.run_id, self.officer = run.ids[key], run.officer
        run.finisher = finish_run_at

    def finish_run(self, run_id: int, outcome: str, counts: dict[str, int]) -> None:
        """Close a run's row: its end time, outcome and counts."""
        with self.transaction():
            self.db.execute("UPDATE runs SET ended_at = ?, outcome = ?, counts = ? WHERE id = ?",
                            (now_iso(), outcome, json.dumps(counts), run_id))

    def runs(self, period: str | None = None, officer: str | None = None,
             command: str | None = None) -> list[dict[str, Any]]:
        """The runs on record, oldest first, filtered by period, officer and command when given."""
        sql, args = "SELECT * FROM runs WHERE 1 = 1", []
        for column, value in (("period", period), ("officer", officer), ("command", command)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(str(value))
        out = []
        for row in self.db.execute(sql + " ORDER BY id", args):
            item = dict(row)
            item["options"], item["counts"] = json.loads(item["options"] or "{}"), json.loads(item["counts"] or "{}")
            out.append(item)
        return out

    # ----------------------------------------------------------------- ingest side

    def archive(self, offered: OfferedFile) -> Path | None:
        """Keep the raw file: copied to `archive/<sha256>/<name>` (once; atomically), and the
        e-mail it came in beside it, next to an SQLite store. None for a server store, which
        keeps them in its `archive` table instead (`_archive_in_table`, inside the transaction
        that records the file)."""
        if self.archive_dir is None:
            return None
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

    def _archive_in_table(self, offered: OfferedFile) -> None:
        """A server store's archive: the file's bytes (and the e-mail it came in), by SHA-256."""
        content = offered.data if offered.data is not None else Path(offered.path).read_bytes()
        kept = [(offered.sha256, offered.name, content)]
        if offered.evidence is not None:
            kept.append((hashlib.sha256(offered.evidence[1]).hexdigest(), *offered.evidence))
        for sha256, name, data in kept:
            self.db.execute(
                "INSERT INTO archive (sha256, name, size, content, stored_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (sha256) DO NOTHING",
                (sha256, name, len(data), data, now_iso()),
            )

    def archived(self, sha256: str) -> tuple[str, bytes] | None:
        """An archived file's name and bytes, by its SHA-256 (checked); None if not archived.

        A server store's `archive` table; else an accepted return's copy in the archive
        folder, or an e-mailed file's, which is kept even when rejected. A kept copy whose
        bytes no longer match their hash is a `StoreError` (the archive is damaged).
        """
        sha256 = sha256.strip().lower()
        row = self.db.execute("SELECT name, content FROM archive WHERE sha256 = ?", (sha256,)).fetchone()
        places: list[tuple[str, Path]] = []
        if row is None:
            for ret in self.db.execute(
                "SELECT file_name AS name, archive_path AS path FROM returns WHERE sha256 = ?"
                " UNION ALL SELECT name, path FROM files WHERE sha256 = ? AND path IS NOT NULL", (sha256, sha256),
            ):
                places += [(ret["name"], Path(ret["path"]))] if ret["path"] else []
                if self.archive_dir is not None:
                    places.append((ret["name"], self.archive_dir / sha256 / ret["name"]))
        found = [(row["name"], bytes(row["content"]), True)] if row is not None else [
            (name, path.read_bytes(), self.archive_dir is not None and self.archive_dir in path.parents)
            for name, path in places if path.is_file()]
        damaged = False
        for name, content, kept in found:
            if hashlib.sha256(content).hexdigest() == sha256:
                return name, content
            damaged = damaged or kept  # an offered file changed since is not the archive's fault
        if damaged:
            raise StoreError(f"{describe(self.location)}: the archived copy of {sha256} is damaged (its bytes no "
                             "longer match their hash)")
        return None

    def archived_hashes(self) -> list[str]:
        """Every archived return's SHA-256, sorted."""
        found = {r[0] for r in self.db.execute("SELECT sha256 FROM archive")}
        found |= {r[0] for r in self.db.execute("SELECT sha256 FROM returns")}
        return sorted(found)

    def accepted_return_for(self, sha256: str) -> Any | None:
        """The return stored from these exact bytes, if any."""
        return self.db.execute("SELECT * FROM returns WHERE sha256 = ?", (sha256,)).fetchone()

    def offers_of(self, sha256: str) -> list[Any]:
        """Every time these exact bytes were offered, oldest first."""
        return self.db.execute("SELECT * FROM files WHERE sha256 = ? ORDER BY id", (sha256,)).fetchall()

    def record_rejected(self, offered: OfferedFile, problems: list[dict], project_id: str | None = None) -> int:
        """Log a rejected (or skipped, when `problems` say so) file in one transaction."""
        return self.record_offer(offered, REJECTED, problems, project_id)

    def record_offer(
        self, offered: OfferedFile, outcome: str, problems: list[dict] | None = None,
        project_id: str | None = None, return_id: int | None = None,
        unless: Callable[[Any], bool] | None = None,
    ) -> int | None:
        """Log an offered file in one transaction; its row id. With `unless`, nothing is logged
        (None) when an earlier offer of these bytes satisfies it, checked under the writer
        lock so two runs logging the same file at once log it once."""
        with self.transaction():
            if unless is not None and any(unless(row) for row in self.offers_of(offered.sha256)):
                return None
            return self._insert_offer(offered, outcome, problems or [], project_id, return_id)

    def _insert_offer(
        self, offered: OfferedFile, outcome: str, problems: list[dict], project_id: str | None, return_id: int | None
    ) -> int:
        # An attachment exists only in its message: the archived copy is the file on record.
        path: Path | str | None = offered.path
        if offered.data is not None:
            path = self.archive(offered)
            if path is None:
                self._archive_in_table(offered)
        return self.insert(
            "INSERT INTO files (sha256, name, path, size, offered_at, period, outcome, project_id, return_id, problems,"
            " sender, subject, message_id, received_source, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                offered.sha256, offered.name, str(path) if path is not None else None, offered.size, now_iso(),
                offered.period, outcome, project_id, return_id, json.dumps(problems, default=str),
                offered.sender, offered.subject, offered.message_id, offered.received_source, self.run_id,
            ),
        )

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
        with self.transaction(), self.backend.batch():
            # Another officer's run may have stored these very bytes since this run looked.
            already = self.accepted_return_for(offered.sha256)
            if already is not None:
                return AcceptOutcome(int(already["id"]), None, already=dict(already))
            if archived is None:
                self._archive_in_table(offered)
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
            return_id = self.insert(
                f"INSERT INTO returns (project_id, period, report_type, template_version, sha256, file_name,"
                f" archive_path, received_at, ingested_at, superseded_by, warnings, {', '.join(columns)})"
                f" VALUES ({', '.join('?' * (11 + len(columns)))}) RETURNING id",
                [
                    record.project_id, record.period, record.report_type, record.template_version, offered.sha256,
                    offered.name, str(archived) if archived is not None else None, received, now_iso(),
                    current["id"] if newer_exists else None, json.dumps(record.warnings), *values,
                ],
            )
            if current is not None and not newer_exists:
                self.db.execute("UPDATE returns SET superseded_by = ? WHERE id = ?", (return_id, current["id"]))
            milestones = [
                (return_id, section, seq, row.get("milestone"), row.get("status"), _to_sql(row.get("date")))
                for section, rows in (("this", record.milestones_this_period), ("next", record.milestones_next_period))
                for seq, row in enumerate(rows, start=1)
            ]
            if milestones:  # one round trip to a server, not one per row
                self.db.executemany(
                    "INSERT INTO milestones (return_id, section, seq, milestone, status, date) VALUES (?, ?, ?, ?, ?, ?)",
                    milestones,
                )
            if record.risks:
                self.db.executemany(
                    "INSERT INTO risks (return_id, seq, risk, mitigation, rating) VALUES (?, ?, ?, ?, ?)",
                    [(return_id, seq, row.get("risk"), row.get("mitigation"), row.get("rating"))
                     for seq, row in enumerate(record.risks, start=1)],
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
        for chunk in _chunks(return_ids, self.backend.max_parameters):
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

    def collected_message(self, message_id: str, period: str) -> Any | None:
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

    def returns_by_id(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Return id → the whole return row, with its first next-period milestone
        (`first_next_milestone`, `first_next_milestone_date`) and its first risk rated
        highest (`first_risk`, `first_risk_mitigation`)."""
        out: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(ids, self.backend.max_parameters):
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
            if stages:
                self.db.executemany(
                    "INSERT INTO register_projects (period, project_id, stage, built_at, run_id) VALUES (?, ?, ?, ?, ?)",
                    [(str(period), pid, stage, now_iso(), self.run_id) for pid, stage in stages.items()],
                )

    def register_projects(self, period: str | Period) -> dict[str, str | None] | None:
        """Project ID → stage as that period's register listed them; None if none was built."""
        rows = self.db.execute("SELECT project_id, stage FROM register_projects WHERE period = ?", (str(period),))
        found = {r["project_id"]: r["stage"] for r in rows}
        return found or None


    # ----------------------------------------------------------------- messages

    def record_message(self, kind: str, period: str, project_id: str, to_addr: str, cc: str, subject: str,
                       attachment_name: str | None, attachment_sha256: str | None, status: str,
                       error: str | None = None, claim_key: str | None = None) -> int:
        """Log one message's outcome in one transaction; its row id. A claim (`claim_message`)
        is released with it: from then on the message log says whether it went."""
        with self.transaction():
            message_id = self.insert(
                "INSERT INTO messages (kind, period, project_id, to_addr, cc, subject, attachment_name,"
                " attachment_sha256, status, error, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (kind, str(period), project_id, to_addr, cc, subject, attachment_name, attachment_sha256, status,
                 error or None, now_iso(), self.run_id),
            )
            if claim_key is not None:
                self.db.execute("DELETE FROM message_claims WHERE claim_key = ?", (claim_key,))
        return message_id

    def release_claim(self, claim_key: str) -> None:
        """Give up a claim without sending (the message turned out to be sent already)."""
        with self.transaction():
            self.db.execute("DELETE FROM message_claims WHERE claim_key = ?", (claim_key,))

    def messages(self, kind: str | None = None, period: str | None = None, status: str | None = None,
                 project_id: str | None = None) -> list[dict[str, Any]]:
        """Logged messages, oldest first, filtered by kind, period, status and project when given."""
        sql, args = "SELECT * FROM messages WHERE 1 = 1", []
        for column, value in (("kind", kind), ("period", period), ("status", status), ("project_id", project_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(str(value))
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def claim_message(self, claim_key: str) -> bool:
        """Take the right to send one message before sending it; False when another run holds
        it (sending it now). A claim left by a run killed mid-send is taken over once stale."""
        stale = (dt.datetime.now(dt.timezone.utc) - STALE_CLAIM).replace(microsecond=0).isoformat()
        with self.transaction():
            row = self.db.execute(
                "INSERT INTO message_claims (claim_key, state, run_id, claimed_at) VALUES (?, 'claimed', ?, ?)"
                " ON CONFLICT (claim_key) DO UPDATE SET run_id = excluded.run_id, claimed_at = excluded.claimed_at"
                " WHERE message_claims.state = 'claimed' AND message_claims.claimed_at < ?"
                " RETURNING claim_key",
                (claim_key, self.run_id, now_iso(), stale),
            ).fetchone()
        return row is not None


def finish_run_at(location: Path | str, run_id: int, outcome: str, counts: dict[str, int]) -> None:
    """Close a run's row in the store at `location` (when the command has ended)."""
    with Store(location, record_run=False) as store:
        store.finish_run(run_id, outcome, counts)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
