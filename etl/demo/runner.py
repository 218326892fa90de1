"""The demo: the monthly cycle on the bundled example data, end to end.

It uses the example inputs shipped in `inputs/` and a store of its own under
`<outputs>/demo/`, rebuilt on every run, so it never touches an office's real `pmo.db`
and gives the same results each time. The example data is the Combined Authority's
reporting round of summer 2023: July to September, with the Improvement Plan programme
report for August and the corporate performance report for September.

Each step is a function taking the shared `DemoContext`; `STEPS` runs them in order.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from etl.config import Settings, load_settings
from etl.errors import ConfigError
from etl.rules.periods import Period

#: The reporting months the demo runs through, oldest first; the last is "this month".
DEMO_PERIODS = (Period(2023, 7), Period(2023, 8), Period(2023, 9))
DEMO_PERIOD = DEMO_PERIODS[-1]
#: The day the demo pretends it is when it builds the month's workbooks.
DEMO_TODAY = dt.date(2023, 10, 20)
BUNDLED_INPUTS = Path(__file__).resolve().parent.parent.parent / "inputs"
BUNDLED_EXAMPLES = Path(__file__).resolve().parent / "examples_data"


@dataclass
class DemoContext:
    """What the steps share: where things are, and what has been written so far."""

    inputs: Path
    outputs: Path
    store_path: Path
    settings: Settings
    say: Callable[[str], None]
    files: list[Path] = field(default_factory=list)


def demo_inputs(inputs_dir: Path | None) -> Path:
    """The inputs folder to use: the one given if it holds a portfolio, else the bundled one."""
    for candidate in (inputs_dir, BUNDLED_INPUTS):
        if candidate is not None and (Path(candidate) / "portfolio.xlsx").exists():
            return Path(candidate)
    raise ConfigError(f"no example portfolio found in {inputs_dir} or {BUNDLED_INPUTS}")


def step_templates(ctx: DemoContext, period: Period) -> None:
    """The month's prefilled templates and distribution list (previous RAGs from the demo store)."""
    from etl.cycle.templates import prepare_templates

    run = prepare_templates(ctx.inputs / "portfolio.xlsx", period, ctx.settings)
    written, distribution = run.write(ctx.outputs, ctx.store_path)
    counts = run.counts()
    ctx.say(
        f"   {period}: {len(written)} templates ({counts['full']} full, {counts['simplified']} simplified); "
        f"{counts['not_due']} not due, {counts['paused']} paused, {counts['closed']} closed → {distribution}"
    )
    ctx.files += [ctx.outputs / str(period) / info.file for info in written] + [distribution]


def demo_returns_folder(outputs: Path, period: Period) -> Path:
    """Where the demo's partners "send" their returns for a month."""
    return outputs / "demo" / "returns" / str(period)


def step_returns(ctx: DemoContext, period: Period) -> None:
    """Partners fill in the month's templates (every scripted return in `examples/returns/*.json`)."""
    from etl.demo.partner import fill_period
    from etl.cycle.portfolio import deadline

    folder = demo_returns_folder(ctx.outputs, period)
    filled = fill_period(ctx.inputs / "portfolio.xlsx", period, ctx.settings, BUNDLED_EXAMPLES / "returns",
                         folder, ctx.store_path)
    late = sum(1 for f in filled if f.received.date() > deadline(period, ctx.settings))
    ctx.say(f"   {period}: {len(filled)} returns filled by partners ({late} sent after the due date) → {folder}")
    ctx.files += [f.path for f in filled]


def step_ingest(ctx: DemoContext, period: Period) -> None:
    """Ingest the month's returns into the demo store; the validation report lists what was rejected."""
    from etl.cycle.ingest import ingest_folder
    from etl.rules.periods import MISSING
    from etl.cycle.portfolio import load_portfolio
    from etl.cycle.status import period_status
    from etl.store.db import Store

    portfolio = load_portfolio(ctx.inputs / "portfolio.xlsx", ctx.settings)
    with Store(ctx.store_path) as store:
        result = ingest_folder(demo_returns_folder(ctx.outputs, period), period, store, portfolio, ctx.settings,
                               ctx.outputs, today=DEMO_TODAY)
        missing = int((period_status(portfolio, store, period, DEMO_TODAY, ctx.settings)["status"] == MISSING).sum())
    ctx.say(f"   {period}: accepted {len(result.all_accepted)}, rejected {len(result.rejected)}, "
            f"missing {missing} → {result.report_path}")
    if result.report_path:
        ctx.files.append(result.report_path)


def step_monthly_cycle(ctx: DemoContext) -> None:
    """Month by month: templates → partners' returns → ingest, so each month's templates carry
    the previous RAG from the returns accepted the month before."""
    for period in DEMO_PERIODS:
        step_templates(ctx, period)
        step_returns(ctx, period)
        step_ingest(ctx, period)


def step_highlight(ctx: DemoContext) -> None:
    """The Improvement Plan's programme highlight report for August 2023, with the lead's overview.

    Built from the returns in the demo store; a workstream whose return is not there is
    shown as Missing (the report is still written).
    """
    from etl.cycle.highlight import build_highlight

    overview = BUNDLED_EXAMPLES / "improvement_plan_overview.md"
    path, report = build_highlight(
        ctx.inputs / "portfolio.xlsx", ctx.store_path, DEMO_PROGRAMME, DEMO_PROGRAMME_PERIOD, ctx.outputs,
        overview_path=overview if overview.exists() else None, settings=ctx.settings,
    )
    received = len(report.workstreams) - len(report.missing)
    ctx.say(f"   {report.programme} {DEMO_PROGRAMME_PERIOD}: {received} of {len(report.workstreams)} workstream "
            f"returns, overall {report.overall_rag or 'not rated (no returns)'} (suggested) → {path}")
    ctx.files.append(path)


def step_closedown(ctx: DemoContext) -> None:
    """The close-down tracker of the Improvement Plan's phase 2 actions (seed 002), dated DEMO_TODAY."""
    from etl.cycle.closedown import build_closedown

    source = ctx.inputs / "closedown.xlsx"
    if not source.exists():
        source = BUNDLED_INPUTS / "closedown.xlsx"
    path, actions = build_closedown(source, ctx.outputs, DEMO_TODAY)
    ctx.say(f"   {len(actions)} actions closed down → {path}")
    ctx.files.append(path)


#: The programme report the demo builds (seed 000).
DEMO_PROGRAMME = "Improvement Plan Phase 2"
DEMO_PROGRAMME_PERIOD = Period(2023, 8)


def step_scorecard(ctx: DemoContext) -> None:
    """The corporate performance report for the demo month, from the example KPIs and the store."""
    from etl.cycle.scorecard import build_scorecard

    kpis = ctx.inputs / "kpis.xlsx"
    if not kpis.exists():
        kpis = BUNDLED_INPUTS / "kpis.xlsx"
    run = build_scorecard(kpis, DEMO_PERIOD, ctx.store_path, ctx.inputs / "portfolio.xlsx", ctx.outputs, ctx.settings)
    received = sum(1 for p in run.projects if p.return_period)
    ctx.say(
        f"   {DEMO_PERIOD}: {len(run.scored)} KPIs, {len(run.red)} Red; {len(run.projects)} Most Complex projects "
        f"({received} with a return) → {run.path}"
    )
    ctx.files.append(run.path)


def step_emails(ctx: DemoContext) -> None:
    """The month's emails as .eml drafts: templates out, reminders as of DEMO_TODAY, feedback on rejected returns."""
    from etl.mail.distribute import deliver, plan_chase, plan_feedback, plan_send
    from etl.mail.mailer import EmlFolder
    from etl.store.db import Store

    portfolio = ctx.inputs / "portfolio.xlsx"
    folder = ctx.outputs / "demo" / "emails"
    with Store(ctx.store_path) as store:
        plans = [
            plan_send(ctx.outputs, DEMO_PERIOD, ctx.settings, ctx.inputs),
            plan_chase(portfolio, store, DEMO_PERIOD, DEMO_TODAY, ctx.settings, ctx.inputs, ctx.outputs),
            plan_feedback(portfolio, store, DEMO_PERIOD, ctx.settings, ctx.inputs),
        ]
        for plan in plans:
            outcomes = deliver(plan.drafts, EmlFolder(folder / plan.kind), store, ctx.settings)
            written = [Path(o.detail) for o in outcomes if o.status == "draft"]
            ctx.say(f"   {plan.kind}: {len(written)} drafts → {folder / plan.kind}")
            ctx.files += written


def step_register(ctx: DemoContext) -> None:
    """The Single Project Register for each demo month, from whatever the demo store holds.

    Built oldest first, so each register can list the projects added or closed since the
    one before; each is as at the end of the month after its period (the last as at DEMO_TODAY).
    """
    from etl.cycle.portfolio import load_portfolio
    from etl.cycle.register import build_register, register_path
    from etl.workbooks.register import write_register
    from etl.store.db import Store

    portfolio = load_portfolio(ctx.inputs / "portfolio.xlsx", ctx.settings)
    with Store(ctx.store_path) as store:
        for period in DEMO_PERIODS:
            as_of = min(DEMO_TODAY, period.shift(1).last_day)
            register = build_register(portfolio, store, period, as_of, ctx.settings)
            path = write_register(register, register_path(ctx.outputs, period))
            status = register.status_counts()
            ctx.say(
                f"   {period}: {len(register.rows)} projects, {status['Received'] + status['Received late']} returns "
                f"received, {status['Missing']} missing, {len(register.escalations)} escalated → {path}"
            )
            ctx.files.append(path)


def step_dashboard(ctx: DemoContext) -> None:
    """The public Performance Dashboard for the demo month: a static site with a map and a page per project."""
    from etl.cycle.dashboard import make_dashboard

    index, dashboard = make_dashboard(ctx.inputs / "portfolio.xlsx", ctx.store_path, ctx.outputs, DEMO_PERIOD,
                                      DEMO_TODAY, ctx.settings, inputs=ctx.inputs)
    ctx.say(f"   {DEMO_PERIOD}: {len(dashboard.projects)} projects, {len(dashboard.positions)} on the map, "
            f"{len(dashboard.unmapped)} listed but not mapped → {index}")
    ctx.files.append(index)


#: (title, step) in the order the cycle runs.
STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Each month: prefilled templates, partners' returns, ingest and validation report", step_monthly_cycle),
    ("Emails: templates out, reminders, feedback (.eml drafts)", step_emails),
    ("The Single Project Register", step_register),
    ("Corporate performance report", step_scorecard),
    ("Programme highlight report (Improvement Plan, August 2023)", step_highlight),
    ("Improvement Plan close-down tracker", step_closedown),
    ("The public Performance Dashboard", step_dashboard),
]


def run_demo(
    outputs_dir: Path | str = "outputs",
    inputs_dir: Path | str | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoContext:
    """Run each step of the cycle on the example data; returns where everything went."""
    inputs = demo_inputs(Path(inputs_dir) if inputs_dir else None)
    outputs = Path(outputs_dir)
    store_dir = outputs / "demo"
    shutil.rmtree(store_dir, ignore_errors=True)
    store_dir.mkdir(parents=True)
    ctx = DemoContext(inputs, outputs, store_dir / "pmo.db", load_settings(inputs), progress)
    for number, (title, step) in enumerate(STEPS, start=1):
        progress(f"{number}. {title}")
        step(ctx)
    return ctx
