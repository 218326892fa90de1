"""Where the store lives and how to talk to it: an SQLite file, or a PostgreSQL server.

`--db` / `PMO_DB` is either a path (the embedded SQLite store, the default for one
officer) or a `postgresql://user@host/db` URL (an office's shared server). Both are
reached through one small connection interface, the one `sqlite3` already offers:
`db.execute(sql, params)` with `?` placeholders, rows readable by index and by column
name. For PostgreSQL, `PgConnection` translates the placeholders (psycopg 3 underneath).

Each backend also knows how to take the store's single writer lock (`begin_write`), where
it keeps its schema version, and how to turn the portable DDL of `MIGRATIONS` into its own.
The password of a URL comes from the URL, `PGPASSWORD` or `~/.pgpass` (libpq reads the
last two itself) and is never shown: `describe()` and every error message leave it out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from etl.errors import StoreError

URL_SCHEMES = ("postgresql://", "postgres://")

# A writer that cannot start at once waits quietly this long, then says so and waits on
# (another officer's run is writing), up to WAIT_LIMIT seconds before giving up.
NOTICE_AFTER = 3.0
WAIT_LIMIT = 600.0

# One advisory lock number for "a pmo run is writing to this store" (PostgreSQL): every
# write transaction takes it, so writers follow one another as they do on SQLite.
WRITER_LOCK = 0x706D6F  # "pmo"


def now_iso() -> str:
    """The current time, to the second, in UTC ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def is_url(location: Path | str) -> bool:
    """Whether `--db` names a PostgreSQL server rather than an SQLite file."""
    return str(location).startswith(URL_SCHEMES)


def describe(location: Path | str) -> str:
    """The location as it may be shown to an officer: a URL without its password."""
    text = str(location)
    if not is_url(text):
        return text
    parts = urlsplit(text)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("password="))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _password_of(location: str) -> str | None:
    parts = urlsplit(location)
    if parts.password:
        return parts.password
    for item in parts.query.split("&"):
        if item.lower().startswith("password="):
            return item.split("=", 1)[1]
    return None


def store_failure(exc: BaseException, location: Path | str | None = None) -> StoreError | None:
    """A database driver's error (or a full or read-only disk) as one clear `StoreError`;
    None for anything else. The message never carries a password."""
    if isinstance(exc, StoreError):
        return exc
    module = type(exc).__module__ or ""
    where = f"{describe(location)}: " if location is not None else ""
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 27, 122, 30, 13):
        # ENOSPC, EFBIG, EDQUOT (full); EROFS, EACCES (may not write)
        return StoreError(f"{where}{exc.strerror}" + (f" ({exc.filename})" if exc.filename else "")
                          + "; nothing half-written: free some space (or get write access) and run it again")
    if not (module.startswith("sqlite3") or module.startswith("psycopg")):
        return None
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    lowered = text.lower()
    if module.startswith("sqlite3"):
        if "readonly" in lowered or "read-only" in lowered:
            text = "the store is read-only here (ask for write access, or work on a copy)"
        elif "disk is full" in lowered or "disk i/o" in lowered:
            text = ("the disk holding the store is full (or failing): the change in hand was rolled back, "
                    "what was stored before it is kept; free some space and run the same command again")
        elif "not a database" in lowered:
            text = "this file is not a pmo store (SQLite could not read it)"
        elif "unable to open" in lowered:
            text = "the store cannot be opened here (check the folder exists and can be written)"
    else:
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            text = "the PostgreSQL server refused the login (check the user and the password in PGPASSWORD or ~/.pgpass)"
        elif "does not exist" in lowered and "database" in lowered:
            text = f"no such database on the server ({text}); ask the server's administrator to create it"
        elif "connection" in lowered and ("refused" in lowered or "failed" in lowered or "timeout" in lowered):
            text = f"cannot reach the PostgreSQL server ({text})"
        elif "read-only" in lowered or "permission denied" in lowered:
            text = f"this login may not write to the store ({text})"
        elif "no space" in lowered or "disk full" in lowered:
            text = "the server's disk is full: the change in hand was rolled back; ask its administrator"
    if location is not None:
        secret = _password_of(str(location)) if is_url(location) else None
        if secret:
            text = text.replace(secret, "***")
    return StoreError(where + text)


# ----------------------------------------------------------------------------- SQLite


class SqliteBackend:
    """The embedded store: one file, write-ahead log, one writer at a time (BEGIN IMMEDIATE)."""

    dialect = "sqlite"
    max_parameters = 900  # SQLite's limit on bound parameters is 999 in older builds

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=NOTICE_AFTER)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        # Write-ahead log: a commit is one append, not two fsyncs, so storing a thousand
        # returns one transaction each takes a second, not a minute; a killed run still
        # leaves every committed transaction and nothing of the one in flight. (Not on a
        # network drive: SQLite's WAL needs one machine's shared memory; use PostgreSQL.)
        self._wait(lambda: self.db.execute("PRAGMA journal_mode = WAL"), on_wait=None)
        self.db.execute("PRAGMA synchronous = NORMAL")

    def begin_write(self, on_wait: Callable[[], None] | None) -> None:
        self._wait(lambda: self.db.execute("BEGIN IMMEDIATE"), on_wait)

    def _wait(self, step: Callable[[], Any], on_wait: Callable[[], None] | None) -> None:
        """Run `step`; if another connection holds the write lock past NOTICE_AFTER, say so and wait on."""
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        (on_wait or waiting_notice)()
        self.db.execute(f"PRAGMA busy_timeout = {int(WAIT_LIMIT * 1000)}")
        try:
            step()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(f"{self.path}: the store stayed busy for {WAIT_LIMIT:.0f} s (another pmo run is "
                                 "writing to it); try again when it has finished") from None
            raise
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(NOTICE_AFTER * 1000)}")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        self.db.execute("ROLLBACK")

    def batch(self) -> Any:
        """Statements inside run one by one (an embedded database has no round trips to save)."""
        return contextlib.nullcontext()

    def named_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a query whose columns are read by name, in the cheapest form to read."""
        return self.db.execute(sql, params).fetchall()

    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def ddl(self, statement: str) -> str:
        return statement

    def close(self) -> None:
        self.db.close()


def waiting_notice() -> None:
    """What an officer sees when their run waits for another one to finish writing."""
    print("Waiting: another pmo run is writing to the store; this run goes on when it has finished…",
          file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- PostgreSQL


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and a literal `%` doubled), outside quoted text."""
    out, quote = [], None
    for char in sql:
        if quote:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class Row(tuple):
    """A result row read by position or by column name, like `sqlite3.Row`."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_names": names, "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Any]:
    # The column names straight from the result (building `cursor.description` for a
    # forty-column row costs more than the query on a local server).
    result = cursor.pgresult
    if result is None or not result.nfields:
        return tuple
    return _row_class(tuple(result.fname(i).decode() for i in range(result.nfields)))


class PgConnection:
    """psycopg 3 behind `sqlite3`'s interface: `execute(sql, params)` with `?` placeholders."""

    def __init__(self, url: str):
        import psycopg

        self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=10)

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> Any:
        return self.raw.execute(to_pyformat(sql), list(params or ()))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(to_pyformat(sql), [list(r) for r in rows])
        return cursor

    def close(self) -> None:
        self.raw.close()


# PostgreSQL spellings of the portable DDL: SQLite's `INTEGER PRIMARY KEY` numbers rows
# itself; REAL is 8 bytes in SQLite but 4 in PostgreSQL; BLOB is BYTEA; and text compares
# byte by byte in SQLite, so PostgreSQL's text columns use the "C" collation to sort the same.
_PG_DDL = (
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


class PostgresBackend:
    """A shared PostgreSQL store; writers take one advisory lock, so they follow one another."""

    dialect = "postgresql"
    max_parameters = 30_000  # of PostgreSQL's 65,535: fewer round trips for big registers

    def __init__(self, url: str):
        self.url = url
        self.db = PgConnection(url)
        self.db.execute("SET TIME ZONE 'UTC'")

    def begin_write(self, on_wait: Callable[[], None] | None) -> None:
        # One round trip for both (two statements, so no parameters: the lock number is ours).
        cursor = self.db.raw.execute(f"BEGIN; SELECT pg_try_advisory_xact_lock({WRITER_LOCK})")
        cursor.nextset()
        if cursor.fetchone()[0]:
            return
        deadline, told = time.monotonic() + WAIT_LIMIT, False
        started = time.monotonic()
        while not self.db.execute("SELECT pg_try_advisory_xact_lock(?)", (WRITER_LOCK,)).fetchone()[0]:
            if not told and time.monotonic() - started >= NOTICE_AFTER:
                (on_wait or waiting_notice)()
                told = True
            if time.monotonic() > deadline:
                self.db.execute("ROLLBACK")
                raise StoreError(f"{describe(self.url)}: the store stayed busy for {WAIT_LIMIT:.0f} s (another pmo "
                                 "run is writing to it); try again when it has finished")
            time.sleep(0.02)

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        self.db.execute("ROLLBACK")

    def batch(self) -> Any:
        """Statements inside are sent together, each result awaited only when it is read
        (psycopg's pipeline mode): a stored return costs a few round trips, not a dozen."""
        return self.db.raw.pipeline()

    def named_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a query whose columns are read by name, as dicts (cheaper to read than `Row`)."""
        from psycopg.rows import dict_row

        with self.db.raw.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(to_pyformat(sql), list(params)).fetchall()

    def schema_version(self) -> int:
        # A catalog query, not to_regclass: it sees a table another run has just created.
        if not self.db.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
                               " AND tablename = 'pmo_schema')").fetchone()[0]:
            return 0
        row = self.db.execute("SELECT version FROM pmo_schema").fetchone()
        return int(row[0]) if row else 0

    def set_schema_version(self, version: int) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS pmo_schema (version INTEGER NOT NULL)")
        self.db.execute("DELETE FROM pmo_schema")
        self.db.execute("INSERT INTO pmo_schema (version) VALUES (?)", (int(version),))

    def ddl(self, statement: str) -> str:
        for pattern, replacement in _PG_DDL:
            statement = pattern.sub(replacement, statement)
        return statement

    def close(self) -> None:
        self.db.close()


Backend = SqliteBackend | PostgresBackend


def open_backend(location: Path | str) -> Backend:
    """Connect to the store at `location`; a `StoreError` (never the password) if that fails."""
    try:
        if is_url(location):
            return PostgresBackend(str(location))
        return SqliteBackend(Path(location))
    except Exception as exc:  # noqa: BLE001 - a driver error becomes one clear line
        failure = store_failure(exc, location)
        if failure is None:
            raise
        raise failure from None


def store_exists(location: Path | str | None) -> bool:
    """Whether a store is already there (a file, or a database holding pmo's tables); never creates one."""
    if location is None:
        return False
    if not is_url(location):
        return str(location) == ":memory:" or Path(location).exists()
    backend = open_backend(location)
    try:
        return backend.schema_version() > 0
    finally:
        backend.close()
