"""Return status for a period: which projects owed a return, which sent one, which are missing.

One table, used by the register (Return Status, Missing Returns) and by `pmo chase`.
A return counts when the store holds a current accepted return for the project and period;
a file that was rejected and never corrected leaves the project Missing once the due date
has passed (Awaited before it). A return that says the project is Not rated is received:
that project is neither chased nor counted as missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from etl.rules import periods
from etl.config import Settings
from etl.cycle.portfolio import reporting_plan
from etl.store.db import Store
from etl.rules.dates import stored_date
from etl.rules.rag import NOT_RATED


def period_status(
    portfolio: pd.DataFrame,
    store: Store,
    period: periods.Period,
    as_of: dt.date,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The reporting plan for `period` with, per project: `status` (as on `as_of`),
    `received_on`, `return_id`, `rejected_files` (files rejected for it this period),
    `days_overdue` (positive once the due date has passed with no return; 0 otherwise)."""
    plan = reporting_plan(portfolio, period, settings)
    current = {r["project_id"]: r for r in store.current_returns(period)}
    rejected: dict[str, int] = {}
    for offer in store.files(period):
        if offer["outcome"] == "rejected" and offer["project_id"]:
            rejected[offer["project_id"]] = rejected.get(offer["project_id"], 0) + 1
    rows: list[dict[str, Any]] = []
    # Plain columns, not iterrows: a Series per row costs seconds on a large portfolio.
    for project_id, stage, due, due_on in zip(plan.index, plan["stage"], plan["due"], plan["due_date"]):
        got = current.get(project_id)
        received_on = stored_date(got["received_at"]) if got else None
        status = periods.return_status(stage, bool(due), received_on, due_on, as_of,
                                       not_rated=bool(got) and got["rag_this_period"] == NOT_RATED)
        overdue = (as_of - due_on).days if status == periods.MISSING else 0
        rows.append({
            "status": status,
            "received_on": received_on,
            "return_id": got["id"] if got else None,
            "rejected_files": rejected.get(project_id, 0),
            "days_overdue": max(overdue, 0),
        })
    extra = pd.DataFrame(rows, index=plan.index).astype(object)
    return plan.join(extra)
