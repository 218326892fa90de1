"""Each register's position, kept: every project's stage, return status and what it showed.

A register records, when it is built, where each project on the portfolio stood that period
(`positions`, one row per period and project). A later register reads them back, so its
twelve-period trend counts each month as it was then (the projects on the portfolio then,
the returns current then), and its Changes sheet compares with the last register built,
however many months ago. Registers built before positions were kept left only the list of
projects and stages (`register_projects`): that is read when there is nothing newer.

Functions take a `Store` and use `store.db.execute` with `?` placeholders and SQL valid on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any, Iterable

from etl.rules.periods import CLOSED, Period
from etl.store.db import Store, now_iso

#: What a position holds for a project, besides its period.
POSITION_KEYS: tuple[str, ...] = ("project_id", "stage", "frequency", "status", "rag", "rag_period", "not_rated_reason")


def record_positions(store: Store, period: Period | str, rows: Iterable[dict[str, Any]]) -> None:
    """Keep the period's position (one row per project), replacing an earlier build's."""
    built = now_iso()
    # `run_id`: the run (officer, time) that built this register (issue 14).
    values = [(str(period), *(row.get(k) for k in POSITION_KEYS), built, store.run_id) for row in rows]
    with store.transaction():
        store.db.execute("DELETE FROM positions WHERE period = ?", (str(period),))
        store.db.executemany(
            f"INSERT INTO positions (period, {', '.join(POSITION_KEYS)}, built_at, run_id)"
            f" VALUES ({', '.join('?' * (len(POSITION_KEYS) + 3))})", values)


def positions_for(store: Store, wanted: Iterable[Period | str]) -> dict[str, list[dict[str, Any]]]:
    """Period → the position recorded for it, for those of `wanted` that have one."""
    keys = sorted({str(p) for p in wanted})
    if not keys:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    rows = store.db.execute(
        f"SELECT period, {', '.join(POSITION_KEYS)} FROM positions WHERE period IN ({', '.join('?' * len(keys))})"
        " ORDER BY period, project_id", keys)
    for row in rows:
        item = dict(row)
        out.setdefault(item.pop("period"), []).append(item)
    return out


def last_register_before(store: Store, period: Period | str) -> tuple[str, dict[str, str | None]] | None:
    """The last register built for a period before this one: (its period, project → stage then).

    From the kept positions, or (for a store from before they were kept) the register's list of
    projects; None when no register was built before.
    """
    found = None
    for table in ("positions", "register_projects"):
        latest = store.db.execute(f"SELECT MAX(period) FROM {table} WHERE period < ?", (str(period),)).fetchone()[0]
        if latest and (found is None or latest > found[0]):
            found = (latest, table)
    if found is None:
        return None
    latest, table = found
    rows = store.db.execute(f"SELECT project_id, stage FROM {table} WHERE period = ?", (latest,))
    return latest, {r["project_id"]: r["stage"] for r in rows}


def closing_periods(store: Store, before: Period | str) -> dict[str, str]:
    """Project → the period from which the kept positions (before `before`) have shown it
    Closed without a break, for projects Closed in the latest position that lists them."""
    closed_from: dict[str, str] = {}
    rows = store.db.execute("SELECT project_id, period, stage FROM positions WHERE period < ? ORDER BY project_id, period",
                            (str(before),))
    for row in rows:
        pid = row["project_id"]
        if row["stage"] == CLOSED:
            closed_from.setdefault(pid, row["period"])
        else:
            closed_from.pop(pid, None)
    return closed_from


def return_history(store: Store, up_to: Period | str) -> list[dict[str, Any]]:
    """Every current return up to and including a period, light columns only, ordered by
    project then period (one query, for registers of thousands of projects)."""
    return store.db.execute(
        "SELECT id, project_id, period, received_at, rag_this_period, not_rated_reason, not_rated_note,"
        " forecast_completion_date FROM returns WHERE superseded_by IS NULL AND period <= ?"
        " ORDER BY project_id, period", (str(up_to),)).fetchall()
