"""Put accepted returns in a store the quick way, for tests of what is built from the store.

It simulates "a partner returned this template, filled in, and it was accepted": the
return file is written by the project's own template writer with the answers typed in,
and stored with `Store.accept_return` without going through ingest. Tests of ingest
itself go through `pmo ingest` instead.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from etl.contracts import fields as F
from etl.config import Settings
from etl.rules.periods import Period
from etl.cycle.portfolio import reporting_plan
from etl.store.db import OfferedFile, ReturnRecord, Store
from etl.cycle.templates import Answers, TemplateContext, template_name
from etl.workbooks.template import write_template


def store_return(
    store: Store,
    portfolio,
    project_id: str,
    period: Period | str,
    answers: Answers,
    folder: Path,
    received: dt.date | None = None,
    settings: Settings | None = None,
) -> int:
    """Write the filled return for `project_id` and store it as accepted; its return id."""
    settings = settings or Settings()
    period = Period.parse(period)
    plan = reporting_plan(portfolio, period, settings)
    row: dict[str, Any] = dict(plan.loc[project_id])
    if row["report_type"] is None:
        row["report_type"] = "Full"
    if row["frequency"] is None:
        row["frequency"] = "Quarterly"
    ctx = TemplateContext.from_plan_row(row, period, settings)
    path = write_template(Path(folder) / template_name(project_id, period), ctx, answers)
    when = received or row["due_date"]
    stamp = dt.datetime.combine(when, dt.time(9, 0)).timestamp()
    os.utime(path, (stamp, stamp))
    values = {**ctx.prefill(), **answers.values}
    tables = {t.name: [dict(zip([k for k, _, _ in t.columns], r)) for r in answers.tables.get(t.name, [])]
              for t in F.TABLES}
    record = ReturnRecord(
        project_id=project_id, period=str(period), report_type=ctx.report_type,
        template_version=F.TEMPLATE_VERSION,
        fields={f.name: values.get(f.name) for f in F.FIELDS},
        milestones_this_period=tables["milestones_this_period"],
        milestones_next_period=tables["milestones_next_period"],
        risks=tables["risks"],
    )
    offered = OfferedFile.from_path(path, str(period), dt.datetime.combine(when, dt.time(9, 0)))
    return store.accept_return(offered, record).return_id
