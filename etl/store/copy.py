"""Moving an office's history: copy a whole store between SQLite and PostgreSQL, and check it.

`copy_store(source, target)` copies every table row for row (ids kept) and every archived
return (from an SQLite store's archive folder into a server's `archive` table, and back),
then checks both sides: the same number of rows in each table and the same archived
files, each matching its hash. A target that already holds data is refused unless
`merge=True`: then the source's rows are added under new ids, rows the target already has
(the same return's bytes, the same message claim, the same register line) are kept as they
are, and each project's returns for a period are put back in the order received, the
latest one current. The target's copy is written in one transaction: all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from etl.store.backend import StoreError, describe
from etl.store.db import TABLES, Store, now_iso

# Each table's id column, and the columns that point at another table's ids.
_IDS = {"runs": "id", "returns": "id", "files": "id", "messages": "id"}
_POINTERS = {
    "returns": {"superseded_by": "returns"},
    "files": {"return_id": "returns", "run_id": "runs"},
    "milestones": {"return_id": "returns"},
    "risks": {"return_id": "returns"},
    "messages": {"run_id": "runs"},
    "message_claims": {"run_id": "runs"},
    "register_projects": {"run_id": "runs"},
    "positions": {"run_id": "runs"},
}
# What makes a row the same row in two stores (rows the target has are not added again).
_NATURAL = {
    "returns": ("sha256",), "kpi_values": ("period", "metric"), "message_claims": ("claim_key",),
    "register_projects": ("period", "project_id"), "archive": ("sha256",),
    "milestones": ("return_id", "section", "seq"), "risks": ("return_id", "seq"),
    "runs": ("officer", "command", "started_at"), "files": ("sha256", "offered_at", "outcome"),
    "messages": ("kind", "project_id", "to_addr", "created_at"),
    "kpi_releases": ("metric", "data_date"), "scorecard_projects": ("period", "project_id"),
    "positions": ("period", "project_id"), "mailbox_messages": ("mailbox", "uidvalidity", "uid", "period"),
}


@dataclass
class CopyReport:
    """What was copied: rows per table (source, target after) and archived files checked."""

    source: str
    target: str
    merged: bool
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    archived: int = 0


def _tables(store: Store) -> list[str]:
    """The store's tables in copying order: the known ones, then any a later migration added."""
    if store.dialect == "sqlite":
        names = [r[0] for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    else:
        names = [r[0] for r in store.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' AND table_name <> 'pmo_schema'")]
    return [t for t in TABLES if t in names] + sorted(set(names) - set(TABLES))


def _count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _rows(store: Store, table: str) -> tuple[list[str], list[dict[str, Any]]]:
    cursor = store.db.execute(f"SELECT * FROM {table} ORDER BY 1")
    columns = [c[0] for c in cursor.description]
    return columns, [dict(zip(columns, row)) for row in cursor.fetchall()]


def copy_store(source: Path | str, target: Path | str, merge: bool = False,
               progress: Callable[[str], None] | None = None) -> CopyReport:
    """Copy the whole store at `source` into `target`, then check both sides (see the module)."""
    say = progress or (lambda message: None)
    if str(source) == str(target):
        raise StoreError(f"{describe(source)}: the source and the target are the same store")
    with Store(source, record_run=False) as src, Store(target, record_run=False) as dst:
        tables = _tables(src)
        before = {t: _count(dst, t) for t in tables}
        if any(before.values()) and not merge:
            held = ", ".join(f"{t} {n}" for t, n in before.items() if n)
            raise StoreError(f"{describe(target)}: the target store already holds data ({held}); "
                             "copy into an empty one, or pass --merge to add this store's history to it")
        report = CopyReport(describe(source), describe(target), merged=any(before.values()))
        with dst.transaction():
            new_ids: dict[str, dict[Any, Any]] = {t: {} for t in _IDS}
            for table in tables:
                if table == "archive":
                    continue  # the archived files go by their own route, below
                columns, rows = _rows(src, table)
                say(f"{table}: {len(rows)} rows")
                _copy_table(dst, table, columns, rows, new_ids, report.merged)
            report.archived = _copy_archive(src, dst)
            if report.merged:
                _reorder_returns(dst)
            if dst.dialect == "postgresql":
                for table, column in _IDS.items():
                    dst.db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                                   f" COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)")
        _check(src, dst, tables, before, report)
    return report


def _copy_table(dst: Store, table: str, columns: list[str], rows: list[dict[str, Any]],
                new_ids: dict[str, dict[Any, Any]], merging: bool) -> None:
    """Insert `rows`; when merging, under new ids with their pointers mapped, skipping rows already there."""
    id_column = _IDS.get(table) if merging else None
    pointers = _POINTERS.get(table, {}) if merging else {}
    natural = _NATURAL.get(table) if merging else None
    insert_columns = [c for c in columns if c != id_column]
    sql = (f"INSERT INTO {table} ({', '.join(insert_columns)}) VALUES ({', '.join('?' * len(insert_columns))})"
           + (f" RETURNING {id_column}" if id_column else ""))
    forward = []
    for row in rows:
        for column, other in pointers.items():
            if row.get(column) is not None:
                row[column] = new_ids[other].get(row[column], row[column])
        if table == "returns" and not merging and row["superseded_by"] is not None:
            # It points at a later return, not in yet: point at itself until that one is.
            forward.append((row["superseded_by"], row["id"]))
            row["superseded_by"] = row["id"]
        if natural:
            found = dst.db.execute(
                f"SELECT {id_column or natural[0]} FROM {table} WHERE "
                + " AND ".join(f"{c} = ?" for c in natural), [row[c] for c in natural]).fetchone()
            if found is not None:
                if id_column:
                    new_ids[table][row[id_column]] = found[0]
                continue
        if table == "returns" and merging:
            row["superseded_by"] = None
            holder = dst.db.execute("SELECT id FROM returns WHERE project_id = ? AND period = ? AND superseded_by IS NULL",
                                    (row["project_id"], row["period"])).fetchone()
            if holder is not None:  # the slot is taken for now; `_reorder_returns` settles who is current
                row["superseded_by"] = holder[0]
        values = [row[c] for c in insert_columns]
        if id_column:
            new_ids[table][row[id_column]] = dst.insert(sql, values)
        else:
            dst.db.execute(sql, values)
    if forward:
        dst.db.executemany("UPDATE returns SET superseded_by = ? WHERE id = ?", forward)


def _copy_archive(src: Store, dst: Store) -> int:
    """Every archived return's file, into the target's archive (its folder, or its table)."""
    count = 0
    for sha256 in src.archived_hashes():
        found = src.archived(sha256)
        if found is None:
            continue
        name, content = found
        if dst.archive_dir is None:
            dst.db.execute("INSERT INTO archive (sha256, name, size, content, stored_at) VALUES (?, ?, ?, ?, ?)"
                           " ON CONFLICT (sha256) DO NOTHING", (sha256, name, len(content), content, now_iso()))
            dst.db.execute("UPDATE returns SET archive_path = NULL WHERE sha256 = ?", (sha256,))
        else:
            path = dst.archive_dir / sha256 / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            dst.db.execute("UPDATE returns SET archive_path = ? WHERE sha256 = ?", (str(path), sha256))
        count += 1
    return count


def _reorder_returns(dst: Store) -> None:
    """After a merge: each project's returns for a period in the order received, the latest current."""
    rows = dst.db.execute("SELECT id, project_id, period, received_at FROM returns ORDER BY project_id, period,"
                          " received_at, id").fetchall()
    slots: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        slots.setdefault((row["project_id"], row["period"]), []).append(row["id"])
    for ids in slots.values():
        # Everyone but the latest first points at its successor, so the slot is free for the latest.
        for earlier, later in zip(ids, ids[1:]):
            dst.db.execute("UPDATE returns SET superseded_by = ? WHERE id = ?", (later, earlier))
        dst.db.execute("UPDATE returns SET superseded_by = NULL WHERE id = ?", (ids[-1],))


def _check(src: Store, dst: Store, tables: list[str], before: dict[str, int], report: CopyReport) -> None:
    """Row counts on both sides, and every archived file present in the target and true to its hash."""
    problems = []
    for table in tables:
        source_rows, target_rows = _count(src, table), _count(dst, table)
        report.rows[table] = (source_rows, target_rows)
        if table == "archive":
            continue  # an SQLite store keeps its archive in a folder: checked by hash below
        if not report.merged and source_rows != target_rows:
            problems.append(f"{table}: {source_rows} rows in the source, {target_rows} in the target")
        if report.merged and target_rows < max(source_rows, before[table]):
            problems.append(f"{table}: only {target_rows} rows after merging {source_rows} into {before[table]}")
    for sha256 in src.archived_hashes():
        if src.archived(sha256) is not None and dst.archived(sha256) is None:
            problems.append(f"archived return {sha256} is missing from the target")
    if problems:
        raise StoreError(f"{describe(dst.location)}: the copy does not match its source: " + "; ".join(problems))
