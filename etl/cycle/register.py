"""Assemble the Single Project Register: every project on one line, and the lists drawn from it.

From the portfolio, the history store and the period's return status (`etl.cycle.status`), it
works out for each project the RAG shown (this period's return; for a project not due,
paused or closed, its last known RAG, carried forward and marked with its period), the
previous RAG and the direction of travel, escalation, slippage and the narrative of the
return shown. From those rows come the Escalations list, the Missing Returns chase list,
the Changes since the previous period, the Summary counts and the twelve-period trend.
Laying the workbook out is `etl.workbooks.register`'s job; `etl.office.Office.register` wires the two.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from etl.rules import periods
from etl.config import Settings
from etl.rules.periods import Period
from etl.rules.rag import DOWN, RAG_SCALE, RED, direction_of_travel, is_escalated
from etl.cycle.messages import expected_senders, sent_by_note
from etl.cycle.status import period_status
from etl.store.db import Store
from etl.store.runs import officer_name
from etl.rules.dates import stored_date

CLOSED_STATUS = "Closed"  # the register's Return Status for a closed project
NO_RAG = "No RAG"  # breakdown column for projects with nothing to show
TREND_PERIODS = 12
BREAKDOWNS = (("directorate", "Directorate"), ("service", "Service"), ("district", "District"))

# Statuses whose RAG is the last known one, carried forward.
_CARRIED = (periods.NOT_DUE, periods.PAUSED, CLOSED_STATUS)


def register_path(outputs: Path | str, period: Period) -> Path:
    """`outputs/<YYYY-MM>/single_project_register_<YYYY-MM>.xlsx`."""
    return Path(outputs) / str(period) / f"single_project_register_{period}.xlsx"


@dataclass
class Register:
    """The register's content, ready to lay out."""

    period: Period
    as_of: dt.date
    built_at: dt.datetime
    rows: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    trend: list[tuple[Period, dict[str, int]]]
    latest_received: dt.datetime | None = None
    previous_register: bool = False
    settings: Settings = field(default_factory=Settings)
    built_by: str | None = None  # the officer whose run built it

    @property
    def escalations(self) -> list[dict[str, Any]]:
        """Red, or worse than last period: for the Director for Resources and Performance."""
        escalated = [r for r in self.rows if r["escalate"] == "Yes"]
        return sorted(escalated, key=lambda r: (-RAG_SCALE.index(r["rag"]), r["project_id"]))

    @property
    def missing(self) -> list[dict[str, Any]]:
        """Due and not received (a rejected file never corrected counts), longest overdue first."""
        return sorted((r for r in self.rows if r["status"] == periods.MISSING),
                      key=lambda r: (-r["days_overdue"], r["project_id"]))

    def status_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in (*periods.RETURN_STATUSES, CLOSED_STATUS)}
        for r in self.rows:
            counts[r["status"]] += 1
        return counts

    def rag_counts(self) -> dict[str, int]:
        return rag_counts(self.rows)

    def breakdown(self, key: str) -> list[dict[str, Any]]:
        return rag_breakdown(self.rows, key)


def rag_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Projects per RAG on the five-point scale, and those with none (`No RAG`)."""
    counts = {r: 0 for r in (*RAG_SCALE, NO_RAG)}
    for row in rows:
        counts[row["rag"] or NO_RAG] += 1
    return counts


def rag_breakdown(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One line per value of `key` (e.g. directorate), alphabetical: RAG counts and a total."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row.get(key) or "(not set)"].append(row)
    out = []
    for name in sorted(groups):
        counts = rag_counts(groups[name])
        out.append({"name": name, **counts, "total": len(groups[name])})
    return out


def slippage_days(agreed: dt.date | None, forecast: dt.date | None) -> int | None:
    """Days the forecast completion is later than agreed (negative when earlier)."""
    if agreed is None or forecast is None:
        return None
    return (forecast - agreed).days


def carried_label(rag_period: str, current: Period) -> str:
    """`2023-09`, or `2023-06 (carried forward)` for a RAG reported in an earlier period."""
    return rag_period if rag_period == str(current) else f"{rag_period} (carried forward)"


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).replace(tzinfo=None) if value else None


class _History:
    """Each project's current returns up to the period, oldest first (light columns)."""

    def __init__(self, store: Store, up_to: Period):
        self.by_project: dict[str, list] = defaultdict(list)
        for row in store.rag_history(up_to):
            self.by_project[row["project_id"]].append(row)
        self.periods = {pid: [r["period"] for r in rows] for pid, rows in self.by_project.items()}

    def last(self, project_id: str, up_to: str, inclusive: bool = True):
        """The latest return for a period up to (or strictly before) `up_to`."""
        keys = self.periods.get(project_id)
        if not keys:
            return None
        at = (bisect.bisect_right if inclusive else bisect.bisect_left)(keys, up_to)
        return self.by_project[project_id][at - 1] if at else None


def build_register(
    portfolio: pd.DataFrame,
    store: Store,
    period: Period,
    as_of: dt.date,
    settings: Settings | None = None,
    record: bool = True,
) -> Register:
    """The register for `period` as it stands on `as_of`.

    With `record`, the store remembers which projects this register listed, so the next
    period's register can list the projects added or closed since.
    """
    settings = settings or Settings()
    status = period_status(portfolio, store, period, as_of, settings)
    history = _History(store, period)
    this = str(period)
    plan = status.to_dict("records")

    shown: dict[str, Any] = {}  # project → the return whose RAG the register shows
    for row in plan:
        pid, state = row["project_id"], row["status"]
        if row["stage"] == periods.CLOSED:
            row["status"] = state = CLOSED_STATUS
        if state in (periods.RECEIVED, periods.RECEIVED_LATE) or state in _CARRIED:
            shown[pid] = history.last(pid, this)
    details = store.returns_by_id([r["id"] for r in shown.values() if r is not None])
    senders = store.senders_of(list(details))

    rows = []
    for row in plan:
        pid = row["project_id"]
        got = shown.get(pid)
        before = history.last(pid, got["period"] if got else this, inclusive=False)
        latest = history.last(pid, this)
        detail = details.get(got["id"], {}) if got else {}
        rag = got["rag_this_period"] if got else None
        previous = before["rag_this_period"] if before else None
        direction = direction_of_travel(rag, previous)
        forecast = stored_date(detail.get("forecast_completion_date"))
        agreed = row["agreed_completion_date"]
        rows.append({
            "project_id": pid,
            "project_name": row["project_name"],
            "programme": row["programme"],
            "directorate": row["directorate"],
            "service": row["service"],
            "district": row["district"],
            "stage": row["stage"],
            "delivery_cost": row["delivery_cost"],
            "frequency": row["frequency"],
            "report_type": row["report_type"],
            "status": row["status"],
            "rag": rag,
            "rag_period": carried_label(got["period"], period) if got else None,
            "carried_forward": bool(got) and got["period"] != this,
            "rag_previous": previous,
            "direction": direction,
            # A closed project is not escalated, whatever its last RAG; one not due keeps its
            # last known RAG and direction, so a Red carried forward stays on the list.
            "escalate": "Yes" if row["status"] != CLOSED_STATUS and is_escalated(rag, direction) else "No",
            "agreed_completion_date": agreed,
            "forecast_completion_date": forecast,
            "slippage_days": slippage_days(agreed, forecast),
            "budget_approved": detail.get("budget_approved"),
            "spend_to_date": detail.get("spend_to_date"),
            "forecast_outturn": detail.get("forecast_outturn"),
            "next_key_milestone": detail.get("next_key_milestone") or detail.get("first_next_milestone"),
            "next_key_milestone_date": stored_date(detail.get("next_key_milestone_date") or detail.get("first_next_milestone_date")),
            "top_risk": detail.get("top_risk") or detail.get("first_risk"),
            "top_risk_mitigation": detail.get("top_risk_mitigation") or detail.get("first_risk_mitigation"),
            "pm_update": detail.get("pm_update"),
            "sponsor": row["sponsor"],
            "project_manager": row["project_manager"],
            "project_manager_email": row["project_manager_email"],
            "internal_representative": row["internal_representative"],
            "internal_representative_email": row["internal_representative_email"],
            "last_received": stored_date(latest["received_at"]) if latest else None,
            "due_date": row["due_date"],
            "days_overdue": int(row["days_overdue"] or 0),
            "rejected_files": int(row["rejected_files"] or 0),
            "escalation_reason": _escalation_reason(rag, previous, direction),
            "sent_by": sent_by_note(senders.get(got["id"]) if got else None,
                                    expected_senders(row["project_manager_email"], row["internal_representative_email"])),
        })

    earlier = store.register_projects(period.shift(-1))
    changes = _changes(rows, history, period, earlier)
    if record:
        store.record_register_projects(period, {r["project_id"]: r["stage"] for r in rows})
    return Register(
        period=period,
        as_of=as_of,
        built_at=dt.datetime.now().replace(microsecond=0),
        built_by=store.officer or officer_name(),
        rows=rows,
        changes=changes,
        trend=rag_trend(portfolio, history, period),
        latest_received=_datetime(store.latest_received_at()),
        previous_register=earlier is not None,
        settings=settings,
    )


def _escalation_reason(rag: str | None, previous: str | None, direction: str | None) -> str | None:
    if rag == RED and direction == DOWN:
        return f"Red, and worse than last period ({previous} → Red)"
    if rag == RED:
        return "Red"
    if direction == DOWN:
        return f"Worse than last period ({previous} → {rag})"
    return None


def _changes(
    rows: list[dict[str, Any]],
    history: _History,
    period: Period,
    earlier: dict[str, str | None] | None,
) -> list[dict[str, Any]]:
    """What moved since the previous period: RAG changes, slipped forecasts, projects added or closed."""
    this = str(period)
    out: list[dict[str, Any]] = []

    def add(row: dict[str, Any], change: str, before: Any, after: Any, detail: str) -> None:
        out.append({"project_id": row["project_id"], "project_name": row["project_name"],
                    "directorate": row["directorate"], "change": change, "from": before, "to": after,
                    "detail": detail, "rag": row.get("rag")})

    for row in rows:
        if row["rag_period"] != this:
            continue
        if row["direction"] in ("↑", "↓"):
            word = "Improved" if row["direction"] == "↑" else "Worsened"
            add(row, "RAG changed", row["rag_previous"], row["rag"], f"{word} since the last return")
        before = history.last(row["project_id"], this, inclusive=False)
        old, new = stored_date(before["forecast_completion_date"]) if before else None, row["forecast_completion_date"]
        if old and new and new > old:
            add(row, "Forecast slipped", old, new,
                f"Forecast completion {(new - old).days} days later than in the {before['period']} return")
    if earlier is not None:
        for row in rows:
            if row["project_id"] not in earlier:
                add(row, "Added", None, row["stage"], "New on the portfolio since the last register")
            elif row["stage"] == periods.CLOSED and earlier[row["project_id"]] != periods.CLOSED:
                add(row, "Closed", earlier[row["project_id"]], row["stage"], "Closed since the last register")
        listed = {r["project_id"] for r in rows}
        for pid in sorted(set(earlier) - listed):
            out.append({"project_id": pid, "project_name": None, "directorate": None, "change": "Removed",
                        "from": earlier[pid], "to": None, "detail": "No longer on the portfolio", "rag": None})
    order = {"RAG changed": 0, "Forecast slipped": 1, "Added": 2, "Closed": 3, "Removed": 4}
    return sorted(out, key=lambda c: (order[c["change"]], c["project_id"]))


def rag_trend(portfolio: pd.DataFrame, history: _History, period: Period) -> list[tuple[Period, dict[str, int]]]:
    """RAG counts for each of the last twelve periods, by the register's own rule: the
    period's return, else (when not due, paused or closed) the last known RAG."""
    months = [period.shift(-back) for back in range(TREND_PERIODS - 1, -1, -1)]
    keys = [str(m) for m in months]
    counts = [{r: 0 for r in (*RAG_SCALE, NO_RAG)} for _ in months]
    for pid, stage, frequency in zip(portfolio.index, portfolio["stage"], portfolio["frequency"]):
        returns = history.by_project.get(pid, [])
        at, last = 0, None
        for month, key, tally in zip(months, keys, counts):
            # Walk the project's returns (oldest first) up to this month once, not per month.
            while at < len(returns) and returns[at]["period"] <= key:
                last, at = returns[at], at + 1
            shown = last
            if shown is not None and shown["period"] != key and periods.is_due(stage, frequency, month):
                shown = None  # due and not received: nothing to show that month
            tally[(shown["rag_this_period"] if shown is not None else None) or NO_RAG] += 1
    return list(zip(months, counts))
