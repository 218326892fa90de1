"""Fill returns the way partners do: the project's own template, typed into, sent back late or early.

The demo and the tests need returns that look exactly like the ones a project manager
sends back: the template pmo wrote for that project and month (prefilled from the
portfolio, with the previous RAG from the store), with the partner's answers typed into
the input cells as they typed them (`amber`, `31.03.2025`, `£1.2m` stay text), and a
file time of the day it arrived, because ingest takes the received time from the file.

`fill_return` writes one; `fill_period` writes every scripted return of a month
(`etl/demo/examples_data/returns/*.json`, see `etl.demo.examples`) into a folder, as if the PMO had saved
the attachments from its inbox there.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from etl.config import Settings
from etl.errors import ConfigError
from etl.demo.examples import ExampleReturn, load_example_returns
from etl.rules.periods import Period
from etl.cycle.templates import Answers, TemplateContext, previous_returns, prepare_templates, template_name
from etl.workbooks.template import write_template

#: The time of day a return "arrives" when only the day is scripted.
ARRIVAL_TIME = dt.time(9, 30)


@dataclass(frozen=True)
class FilledReturn:
    """A return a partner sent: where it is, whose it is, and when it arrived."""

    path: Path
    project_id: str
    period: str
    received: dt.datetime
    report_type: str


def arrival(day: dt.date | dt.datetime) -> dt.datetime:
    """The local time a return arrived: the given time, or `ARRIVAL_TIME` on the given day."""
    if isinstance(day, dt.datetime):
        return day
    return dt.datetime.combine(day, ARRIVAL_TIME)


def set_received(path: Path | str, when: dt.date | dt.datetime) -> None:
    """Give the file the time it arrived (ingest reads the received time from the file)."""
    stamp = arrival(when).timestamp()
    os.utime(path, (stamp, stamp))


def plan_row(plan, project_id: str) -> dict[str, Any]:
    """The project's `reporting_plan` row, with a report type and frequency even when not due.

    A partner may send a return the PMO did not ask for (the project is not due, or paused):
    it is written as the full report on a monthly cycle, the template pmo would have sent.
    """
    row: dict[str, Any] = dict(plan.loc[project_id])
    row["report_type"] = row.get("report_type") or "Full"
    row["frequency"] = row.get("frequency") or "Monthly"
    return row


def fill_return(
    folder: Path | str,
    ctx: TemplateContext,
    answers: Answers,
    received: dt.date | dt.datetime,
    name: str | None = None,
) -> Path:
    """Write the template for `ctx` with `answers` typed in, into `folder`, as received on `received`.

    The file is named as pmo named the template unless `name` says otherwise (partners
    rename files); its modification time is set to the day (and time) it arrived.
    """
    path = Path(folder) / (name or template_name(ctx.project_id, ctx.period))
    write_template(path, ctx, answers)
    set_received(path, received)
    return path


def fill_period(
    portfolio: pd.DataFrame,
    period: Period | str,
    settings: Settings,
    examples: Path | str | Mapping[str, Mapping[str, ExampleReturn]],
    folder: Path | str,
    store_path: Path | str | None = None,
) -> list[FilledReturn]:
    """Write every scripted return for `period` into `folder`; what was written, by project.

    `portfolio` is the loaded portfolio (`etl.cycle.portfolio.load_portfolio`); `examples` is the folder of scripted returns (`etl/demo/examples_data/returns`) or what
    `load_example_returns` read from it. Each return starts from the template pmo sends
    for the project that month, with the previous RAG from the store at `store_path`, so
    a return looks like one the partner filled in. A return scripted without a day of
    arrival arrives on the due date.
    """
    period = Period.parse(period)
    scripted = load_example_returns(examples) if isinstance(examples, (str, Path)) else examples
    month = scripted.get(str(period), {})
    if not month:
        return []
    plan = prepare_templates(portfolio, period, settings).plan
    history = previous_returns(store_path, period)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    filled: list[FilledReturn] = []
    for project_id in sorted(month):
        example = month[project_id]
        if project_id not in plan.index:
            raise ConfigError(f"example return for {project_id} {period}: {project_id} is not on the portfolio")
        row = plan_row(plan, project_id)
        ctx = TemplateContext.from_plan_row(row, period, settings, history.get(project_id))
        ctx.generated_at = dt.datetime.combine(period.first_day, dt.time(8, 0))
        received = arrival(example.received or row["due_date"])
        path = fill_return(out, ctx, example.answers, received)
        filled.append(FilledReturn(path, project_id, str(period), received, ctx.report_type))
    return filled
