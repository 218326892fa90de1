"""The scorecard's SQL: KPI values per report, KPI releases per data date, the Most Complex list.

Functions take a `Store` and use `store.db.execute` with `?` placeholders and SQL that is
valid on SQLite and PostgreSQL alike (`ON CONFLICT … DO UPDATE`, no SQLite-only functions).

- `kpi_values` (per report period): what each report showed; it feeds the trend sparklines.
- `kpi_releases` (per metric and `Date of Latest Available Data`): each data release of a
  KPI once, with the ratings it got and the period that first reported it. A report whose
  KPI still has the same data date keeps those ratings; a new release is compared with
  the release reported before it.
- `scorecard_projects` (per report period): the Most Complex projects a report listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from etl.rules.periods import Period
from etl.store.db import Store, now_iso


@dataclass(frozen=True)
class Release:
    """One data release of a KPI as the store keeps it."""

    metric: str
    data_date: str
    value: float | None
    previous_value: float | None
    previous_from: str | None
    target: float | None
    status: str | None
    rag_direction: str | None
    rag_target: str | None
    first_period: str


@dataclass(frozen=True)
class ReportedValue:
    """One KPI's figures and ratings as one report showed them (a row of `kpi_values`)."""

    metric: str
    value: float | None
    previous_value: float | None
    target: float | None
    status: str | None
    rag_direction: str | None
    rag_target: str | None


def kpi_history(store: Store, before: Period | str) -> dict[str, list[tuple[str, float | None]]]:
    """Metric → [(period, value)] for every report period on record before this one, oldest first."""
    history: dict[str, list[tuple[str, float | None]]] = {}
    rows = store.db.execute(
        "SELECT metric, period, value FROM kpi_values WHERE period < ? ORDER BY metric, period", (str(before),)
    )
    for row in rows:
        history.setdefault(row["metric"], []).append((row["period"], row["value"]))
    return history


def record_kpi_values(store: Store, period: Period | str, rows: Sequence[ReportedValue]) -> None:
    """Replace the period's KPI values with these, in one transaction."""
    stamp = now_iso()
    _replace_period(
        store, "kpi_values", period,
        "INSERT INTO kpi_values (period, metric, value, previous_value, target, status, rag_direction,"
        " rag_target, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(str(period), r.metric, r.value, r.previous_value, r.target, r.status, r.rag_direction, r.rag_target,
          stamp) for r in rows],
    )


def _replace_period(store: Store, table: str, period: Period | str, insert: str, rows: list[tuple]) -> None:
    """Replace a period's rows of a per-report table (`kpi_values`, `scorecard_projects`) in one transaction."""
    with store.transaction() as db:
        db.execute(f"DELETE FROM {table} WHERE period = ?", (str(period),))
        db.executemany(insert, rows)


def kpi_releases(store: Store, before: Period | str) -> dict[str, list[Release]]:
    """Metric → its releases first reported before this period, oldest report first.

    A release first reported in this very period is left out, so re-running a period's
    report gives the same ratings as its first run.
    """
    releases: dict[str, list[Release]] = {}
    rows = store.db.execute(
        "SELECT metric, data_date, value, previous_value, previous_from, target, status, rag_direction,"
        " rag_target, first_period FROM kpi_releases WHERE first_period < ?"
        " ORDER BY metric, first_period, recorded_at",
        (str(before),),
    )
    for row in rows:
        releases.setdefault(row["metric"], []).append(Release(**dict(row)))
    return releases


def record_kpi_releases(store: Store, period: Period | str, releases: Iterable[Release]) -> None:
    """Keep each release (new or revised) with its ratings; a release keeps the earliest period
    that reported it."""
    stamp = now_iso()
    rows = [(r.metric, r.data_date, r.value, r.previous_value, r.previous_from, r.target, r.status, r.rag_direction,
             r.rag_target, str(period), stamp) for r in releases]
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO kpi_releases (metric, data_date, value, previous_value, previous_from, target, status,"
            " rag_direction, rag_target, first_period, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (metric, data_date) DO UPDATE SET value = excluded.value,"
            " previous_value = excluded.previous_value, previous_from = excluded.previous_from,"
            " target = excluded.target, status = excluded.status, rag_direction = excluded.rag_direction,"
            " rag_target = excluded.rag_target, recorded_at = excluded.recorded_at,"
            " first_period = CASE WHEN excluded.first_period < kpi_releases.first_period"
            " THEN excluded.first_period ELSE kpi_releases.first_period END",
            rows,
        )


def most_complex_before(store: Store, period: Period | str) -> tuple[str | None, dict[str, tuple[str | None, str | None]]]:
    """The latest report before this period that listed Most Complex projects, and its list
    (Project ID → (name, reason)); (None, {}) when there is none."""
    row = store.db.execute(
        "SELECT MAX(period) AS period FROM scorecard_projects WHERE period < ?", (str(period),)
    ).fetchone()
    if row is None or row["period"] is None:
        return None, {}
    listed = store.db.execute(
        "SELECT project_id, project_name, reason FROM scorecard_projects WHERE period = ?", (row["period"],)
    )
    return row["period"], {r["project_id"]: (r["project_name"], r["reason"]) for r in listed}


def record_most_complex(store: Store, period: Period | str, projects: dict[str, tuple[str, str | None]]) -> None:
    """Remember the Most Complex projects (ID → (name, reason)) this period's report listed."""
    stamp = now_iso()
    _replace_period(
        store, "scorecard_projects", period,
        "INSERT INTO scorecard_projects (period, project_id, project_name, reason, built_at) VALUES (?, ?, ?, ?, ?)",
        [(str(period), pid, name, reason, stamp) for pid, (name, reason) in projects.items()],
    )
