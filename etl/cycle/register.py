"""Assemble the Single Project Register: every project on one line, and the lists drawn from it.

From the portfolio, the history store and the period's return status (`etl.cycle.status`), it
works out for each project the RAG shown (this period's return; for a project not due,
paused or closed, its last known RAG, carried forward and marked with its period), the
previous RAG with its period and what the direction of travel compared, escalation,
slippage and the narrative of the return shown. From those rows come the Escalations list,
the Missing Returns chase list, the Changes since the last register built, the Summary
counts and the twelve-period trend.

"This period" means the live portfolio: closed projects are listed (with their final RAG
and the period they closed) but not counted; pipeline projects are counted as Paused, and
Not rated returns as their own category. Each register keeps its position in the store
(`etl.store.positions`), so the trend shows every month as it was when its register was
built. Laying the workbook out is `etl.workbooks.register`'s job; `etl.office.Office.register`
wires the two.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from etl.rules import periods
from etl.config import Settings
from etl.rules.periods import Period
from etl.rules.rag import DOWN, NOT_RATED, RAG_SCALE, RED, direction_of_travel, is_escalated
from etl.cycle.messages import expected_senders, sent_by_note
from etl.cycle.status import period_status
from etl.store.db import Store
from etl.store.positions import closing_periods, last_register_before, positions_for, record_positions, return_history
from etl.store.runs import officer_name
from etl.rules.dates import stored_date

CLOSED_STATUS = "Closed"  # the register's Return Status for a closed project
NO_RAG = "No RAG"  # breakdown column for live projects with nothing to show
PAUSED_CATEGORY = "Paused"  # pipeline projects: counted on their own, not by their last RAG
#: How the live projects are counted this period (and in the trend), best to worst, then the rest.
CATEGORIES: tuple[str, ...] = (*RAG_SCALE, NOT_RATED, PAUSED_CATEGORY, NO_RAG)
TREND_PERIODS = 12
BREAKDOWNS = (("directorate", "Directorate"), ("service", "Service"), ("district", "District"))

# Statuses whose RAG is the last known one, carried forward.
_CARRIED = (periods.NOT_DUE, periods.PAUSED, CLOSED_STATUS)
_RETURNED = (periods.RECEIVED, periods.RECEIVED_LATE, periods.NOT_RATED)


def register_path(outputs: Path | str, period: Period) -> Path:
    """`outputs/<YYYY-MM>/single_project_register_<YYYY-MM>.xlsx`."""
    return Path(outputs) / str(period) / f"single_project_register_{period}.xlsx"


def default_as_of(period: Period, settings: Settings, today: dt.date | None = None) -> dt.date:
    """A register's as-at date when none is given: today, or for a past period (back-filling
    a year, say) the due date plus the office's chase interval, whichever is earlier."""
    from etl.cycle.portfolio import deadline

    today = today or dt.date.today()
    return min(today, deadline(period, settings) + dt.timedelta(days=settings.chase_interval_days))


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
    #: The period of the last register built before this one (what Changes compares with).
    previous_register: str | None = None
    settings: Settings = field(default_factory=Settings)
    built_by: str | None = None  # the officer whose run built it
    #: What the register read from the store: each project's returns up to the period, and the
    #: return shown in full by id. Kept so a view built on the register (the dashboard) reads
    #: the same returns without querying the store again; not part of the register's content.
    history: "_History | None" = field(default=None, repr=False, compare=False)
    details: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def live(self) -> list[dict[str, Any]]:
        """The projects on the portfolio now: every row but the closed ones."""
        return [r for r in self.rows if r["status"] != CLOSED_STATUS]

    @property
    def closed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == CLOSED_STATUS]

    @property
    def escalations(self) -> list[dict[str, Any]]:
        """Red, or worse than last period: for the Director for Resources and Performance."""
        escalated = [r for r in self.rows if r["escalate"] == "Yes"]
        return sorted(escalated, key=lambda r: (-RAG_SCALE.index(r["rag"]), r["project_id"]))

    @property
    def missing(self) -> list[dict[str, Any]]:
        """Due, past the due date and not received (a rejected file never corrected counts),
        longest overdue first."""
        return sorted((r for r in self.rows if r["status"] == periods.MISSING),
                      key=lambda r: (-r["days_overdue"], r["project_id"]))

    @property
    def changes_title(self) -> str:
        """`Changes since the register for 2024-06`, or what they are measured against."""
        if self.previous_register:
            return f"Changes since the register for {self.previous_register}"
        return "Changes since the last returns (no earlier register was built)"

    def status_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in (*periods.RETURN_STATUSES, CLOSED_STATUS)}
        for r in self.rows:
            counts[r["status"]] += 1
        return counts

    def rag_counts(self) -> dict[str, int]:
        """This period's position: live projects by RAG, Not rated, Paused and No RAG."""
        return rag_counts(self.live)

    def breakdown(self, key: str) -> list[dict[str, Any]]:
        return rag_breakdown(self.live, key)


def category(row: dict[str, Any]) -> str:
    """How a live project is counted: Paused (pipeline), its RAG or Not rated, else No RAG."""
    if row.get("status") == periods.PAUSED:
        return PAUSED_CATEGORY
    return row["rag"] or NO_RAG


def rag_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Projects per category (`CATEGORIES`): the five-point scale, Not rated, Paused, No RAG."""
    counts = {c: 0 for c in CATEGORIES}
    for row in rows:
        counts[category(row)] += 1
    return counts


def rag_breakdown(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One line per value of `key` (e.g. directorate), alphabetical: counts and a total."""
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


def with_period(rag: str | None, period: str | None) -> str | None:
    """`Amber (2024-07)`: a rating with the period of the return it came from."""
    return f"{rag} ({period})" if rag and period else rag


def _rated(status: str | None) -> str | None:
    """The rating on the scale, or None (for Not rated or nothing)."""
    return status if status in RAG_SCALE else None


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).replace(tzinfo=None) if value else None


class _History:
    """Each project's current returns up to the period, oldest first (light columns)."""

    def __init__(self, store: Store, up_to: Period):
        self.by_project: dict[str, list] = defaultdict(list)
        for row in return_history(store, up_to):
            self.by_project[row["project_id"]].append(row)
        self.periods = {pid: [r["period"] for r in rows] for pid, rows in self.by_project.items()}

    def last(self, project_id: str, up_to: str, inclusive: bool = True):
        """The latest return for a period up to (or strictly before) `up_to`."""
        keys = self.periods.get(project_id)
        if not keys:
            return None
        at = (bisect.bisect_right if inclusive else bisect.bisect_left)(keys, up_to)
        return self.by_project[project_id][at - 1] if at else None


def _not_rated_text(ret) -> str | None:
    """`Exempt: outside the portfolio's scope until March` for a Not rated return."""
    if ret is None or ret["rag_this_period"] != NOT_RATED:
        return None
    reason, note = ret["not_rated_reason"], ret["not_rated_note"]
    return f"{reason}: {note}" if reason and note else reason or note


def build_register(
    portfolio: pd.DataFrame,
    store: Store,
    period: Period,
    as_of: dt.date,
    settings: Settings | None = None,
    record: bool = True,
) -> Register:
    """The register for `period` as it stands on `as_of`.

    With `record`, the store keeps this register's position (each project's stage, status and
    what it showed), so later registers count this period as it was and list the changes since.
    """
    settings = settings or Settings()
    status = period_status(portfolio, store, period, as_of, settings)
    history = _History(store, period)
    this = str(period)
    plan = status.to_dict("records")
    closing = closing_periods(store, period)

    shown: dict[str, Any] = {}  # project → the return whose RAG the register shows
    for row in plan:
        pid, state = row["project_id"], row["status"]
        if row["stage"] == periods.CLOSED:
            row["status"] = state = CLOSED_STATUS
        if state in _RETURNED or state in _CARRIED:
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
        previous_labelled = with_period(previous, before["period"] if before else None)
        direction = direction_of_travel(rag, previous)  # None when either is Not rated
        forecast = stored_date(detail.get("forecast_completion_date"))
        agreed = row["agreed_completion_date"]
        closed = row["status"] == CLOSED_STATUS
        rag_period = got["period"] if got else None
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
            "rag_period_key": rag_period,
            "rag_period": (f"{rag_period} (final)" if closed else carried_label(rag_period, period)) if got else None,
            "carried_forward": bool(got) and rag_period != this,
            "closed_in": (closing.get(pid) or this) if closed else None,
            "not_rated_reason": _not_rated_text(got),
            "rag_previous": previous_labelled,
            "rag_previous_plain": previous,
            "direction": direction,
            "compared_with": _compared_with(got, before),
            # A closed project is not escalated, whatever its last RAG; one not due keeps its
            # last known RAG and direction, so a Red carried forward stays on the list.
            "escalate": "Yes" if not closed and is_escalated(_rated(rag), direction) else "No",
            "agreed_completion_date": agreed,
            "forecast_completion_date": forecast,
            "slippage_days": slippage_days(agreed, forecast),
            "budget_approved": _amount(detail.get("budget_approved")),
            "spend_to_date": _amount(detail.get("spend_to_date")),
            "forecast_outturn": _amount(detail.get("forecast_outturn")),
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
            "escalation_reason": _escalation_reason(_rated(rag), previous_labelled, direction),
            "sent_by": sent_by_note(senders.get(got["id"]) if got else None,
                                    expected_senders(row["project_manager_email"], row["internal_representative_email"])),
        })

    earlier = last_register_before(store, period)
    changes = _changes(rows, history, period, earlier)
    trend = rag_trend(portfolio, history, period, store, rows)
    built = Register(
        period=period,
        as_of=as_of,
        built_at=dt.datetime.now().replace(microsecond=0),
        built_by=store.officer or officer_name(),
        rows=rows,
        changes=changes,
        trend=trend,
        latest_received=_datetime(store.latest_received_at()),
        previous_register=earlier[0] if earlier else None,
        settings=settings,
        history=history,
        details=details,
    )
    if record:
        record_register(store, built)
    return built


def record_register(store: Store, register: Register) -> None:
    """Keep the register's position in the store: later registers count its period as it was
    and list what changed since (call it once the workbook is written)."""
    record_positions(store, register.period, [{**r, "rag_period": r["rag_period_key"]} for r in register.rows])


def _amount(value: Any) -> float | None:
    """A stored amount, or None for one that is not a real figure: a store written before such
    values were refused may hold infinity (`1e400`), which no workbook can show."""
    return value if value is None or math.isfinite(value) else None


def _compared_with(got, before) -> str | None:
    """What the direction of travel compared: `2024-09 with 2024-07`, or why there is none."""
    if not got:
        return None
    if not before:
        return f"{got['period']}: no earlier return"
    return f"{got['period']} with {before['period']}"


def _escalation_reason(rag: str | None, previous: str | None, direction: str | None) -> str | None:
    if rag == RED and direction == DOWN:
        return f"Red, and worse than before ({previous} → Red)"
    if rag == RED:
        return "Red"
    if direction == DOWN:
        return f"Worse than before ({previous} → {rag})"
    return None


def _changes(
    rows: list[dict[str, Any]],
    history: _History,
    period: Period,
    earlier: tuple[str, dict[str, str | None]] | None,
) -> list[dict[str, Any]]:
    """What moved: RAG changes and slipped forecasts since each project's previous return;
    projects added, closed or removed since the last register built (however long ago)."""
    this = str(period)
    out: list[dict[str, Any]] = []

    def add(row: dict[str, Any], change: str, before: Any, after: Any, detail: str) -> None:
        out.append({"project_id": row["project_id"], "project_name": row["project_name"],
                    "directorate": row["directorate"], "change": change, "from": before, "to": after,
                    "detail": detail, "rag": row.get("rag")})

    for row in rows:
        if row["rag_period_key"] != this:
            continue
        before = history.last(row["project_id"], this, inclusive=False)
        if row["direction"] in ("↑", "↓"):
            word = "Improved" if row["direction"] == "↑" else "Worsened"
            add(row, "RAG changed", row["rag_previous_plain"], row["rag"],
                f"{word} since the {before['period']} return")
        old, new = stored_date(before["forecast_completion_date"]) if before else None, row["forecast_completion_date"]
        if old and new and new > old:
            add(row, "Forecast slipped", old, new,
                f"Forecast completion {(new - old).days} days later than in the {before['period']} return")
    if earlier is not None:
        since, listed_then = earlier
        for row in rows:
            if row["project_id"] not in listed_then:
                add(row, "Added", None, row["stage"], f"New on the portfolio since the register for {since}")
            elif row["stage"] == periods.CLOSED and listed_then[row["project_id"]] != periods.CLOSED:
                add(row, "Closed", listed_then[row["project_id"]], row["stage"],
                    f"Closed since the register for {since}")
        listed = {r["project_id"] for r in rows}
        for pid in sorted(set(listed_then) - listed):
            out.append({"project_id": pid, "project_name": None, "directorate": None, "change": "Removed",
                        "from": listed_then[pid], "to": None,
                        "detail": f"On the register for {since}, no longer on the portfolio", "rag": None})
    order = {"RAG changed": 0, "Forecast slipped": 1, "Added": 2, "Closed": 3, "Removed": 4}
    return sorted(out, key=lambda c: (order[c["change"]], c["project_id"]))


def rag_trend(portfolio: pd.DataFrame, history: _History, period: Period, store: Store,
              rows: list[dict[str, Any]]) -> list[tuple[Period, dict[str, int]]]:
    """Live projects by category for each of the last twelve periods, each as it was then.

    This period counts the register's own rows. An earlier period counts the position its own
    register recorded; for a period no register was built for, the position is worked out
    from the store (`_worked_out`). So a month reads the same in every later register.
    """
    months = [period.shift(-back) for back in range(TREND_PERIODS - 1, -1, -1)]
    kept = positions_for(store, months[:-1])
    unrecorded = [m for m in months[:-1] if str(m) not in kept]
    worked_out = _worked_out(portfolio, history, unrecorded) if unrecorded else {}
    out = []
    for month in months[:-1]:
        recorded = kept.get(str(month))
        if recorded is not None:
            out.append((month, rag_counts(r for r in recorded if r["status"] != CLOSED_STATUS)))
        else:
            out.append((month, worked_out[str(month)]))
    out.append((period, rag_counts(r for r in rows if r["status"] != CLOSED_STATUS)))
    return out


def _worked_out(portfolio: pd.DataFrame, history: _History, months: list[Period]) -> dict[str, dict[str, int]]:
    """Past periods' counts from the returns in the store, for months no register was built.

    The projects on the portfolio then are taken to be those that had sent a return by then
    (a project added later is not counted back in time), less those now Closed (or gone)
    whose returns stopped before that month. Each shows its return for the month; if it had
    none, its last RAG carried forward when it was not due, else No RAG.
    """
    keys = [str(m) for m in months]
    counts = {key: {c: 0 for c in CATEGORIES} for key in keys}
    stages = dict(zip(portfolio.index, portfolio["stage"]))
    frequencies = dict(zip(portfolio.index, portfolio["frequency"]))
    gone = (periods.CLOSED, None)
    for pid, returns in history.by_project.items():
        stage = stages.get(pid)
        # Whether it owed a return in a month, had it been in delivery then (today's frequency).
        due_stage = periods.DELIVERY if stage in (*gone, periods.PIPELINE) else stage
        frequency = frequencies.get(pid)
        final = returns[-1]["period"]
        at, last = 0, None
        for month, key in zip(months, keys):
            # Walk the project's returns (oldest first) up to this month once, not per month.
            while at < len(returns) and returns[at]["period"] <= key:
                last, at = returns[at], at + 1
            if last is None:
                continue  # no return yet: not known to be on the portfolio then
            if last["period"] != key and stage in gone and final < key:
                continue  # its returns stopped before this month and it has closed (or left) since
            if last["period"] == key or not periods.is_due(due_stage, frequency, month):
                counts[key][last["rag_this_period"] or NO_RAG] += 1
            else:
                counts[key][NO_RAG] += 1
    return counts
