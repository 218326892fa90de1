"""The demo: the monthly cycle on the bundled example data, end to end.

It uses the example inputs (an `--inputs` folder holding a portfolio, else the bundled
example data, built into `<outputs>/demo/inputs/`) and a store of its own under
`<outputs>/demo/`, rebuilt on every run, so it never touches an office's real `pmo.db` and
gives the same results each time. The example data is the Combined Authority's reporting
round of summer 2023: July to September, with the Improvement Plan programme report for
August and the corporate performance report for September.

Each step is a function taking the shared `DemoContext`, whose `office` does the work;
`STEPS` runs them in order.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from etl.demo.examples import EXAMPLES, write_example_inputs
from etl.office import Office
from etl.rules.periods import Period

#: The reporting months the demo runs through, oldest first; the last is "this month".
DEMO_PERIODS = (Period(2023, 7), Period(2023, 8), Period(2023, 9))
DEMO_PERIOD = DEMO_PERIODS[-1]
#: The day the demo pretends it is when it builds the month's workbooks.
DEMO_TODAY = dt.date(2023, 10, 20)
#: The programme report the demo builds (seed 000).
DEMO_PROGRAMME = "Improvement Plan Phase 2"
DEMO_PROGRAMME_PERIOD = Period(2023, 8)


@dataclass
class DemoContext:
    """What the steps share: the office the demo works for, and what has been written so far."""

    office: Office
    say: Callable[[str], None]
    files: list[Path] = field(default_factory=list)

    @property
    def outputs(self) -> Path:
        return self.office.outputs

    @property
    def store_path(self) -> Path:
        return Path(self.office.db)


def demo_inputs(inputs_dir: Path | None, outputs: Path) -> Path:
    """The inputs folder to use: the one given if it holds a portfolio, else the bundled example
    inputs written into `<outputs>/demo/inputs/`."""
    if inputs_dir is not None and (Path(inputs_dir) / "portfolio.xlsx").exists():
        return Path(inputs_dir)
    folder = outputs / "demo" / "inputs"
    write_example_inputs(folder)
    return folder


def step_templates(ctx: DemoContext, period: Period) -> None:
    """The month's prefilled templates and distribution list (previous RAGs from the demo store)."""
    done = ctx.office.templates(period)
    counts = done.counts()
    ctx.say(
        f"   {period}: {len(done.written)} templates ({counts['full']} full, {counts['simplified']} simplified); "
        f"{counts['not_due']} not due, {counts['paused']} paused, {counts['closed']} closed → {done.distribution}"
    )
    ctx.files += [ctx.outputs / str(period) / info.file for info in done.written] + [done.distribution]


def demo_returns_folder(outputs: Path, period: Period) -> Path:
    """Where the demo's partners "send" their returns for a month."""
    return outputs / "demo" / "returns" / str(period)


def step_returns(ctx: DemoContext, period: Period) -> None:
    """Partners fill in the month's templates (every scripted return in the example data's `returns/`)."""
    from etl.cycle.portfolio import deadline
    from etl.demo.partner import fill_period

    office = ctx.office
    folder = demo_returns_folder(ctx.outputs, period)
    filled = fill_period(office.portfolio, period, office.settings, EXAMPLES / "returns", folder, ctx.store_path)
    late = sum(1 for f in filled if f.received.date() > deadline(period, office.settings))
    ctx.say(f"   {period}: {len(filled)} returns filled by partners ({late} sent after the due date) → {folder}")
    ctx.files += [f.path for f in filled]


def step_ingest(ctx: DemoContext, period: Period) -> None:
    """Ingest the month's returns into the demo store; the validation report lists what was rejected."""
    from etl.cycle.status import period_status
    from etl.rules.periods import MISSING

    office = ctx.office
    result = office.ingest(demo_returns_folder(ctx.outputs, period), period, today=DEMO_TODAY)
    with office.store() as store:
        missing = int((period_status(office.portfolio, store, period, DEMO_TODAY, office.settings)["status"]
                       == MISSING).sum())
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
    overview = EXAMPLES / "improvement_plan_overview.md"
    path, report = ctx.office.highlight(DEMO_PROGRAMME, DEMO_PROGRAMME_PERIOD,
                                        overview if overview.exists() else None)
    received = len(report.workstreams) - len(report.missing)
    ctx.say(f"   {report.programme} {DEMO_PROGRAMME_PERIOD}: {received} of {len(report.workstreams)} workstream "
            f"returns, overall {report.overall_rag or 'not rated (no returns)'} (suggested) → {path}")
    ctx.files.append(path)


def step_closedown(ctx: DemoContext) -> None:
    """The close-down tracker of the Improvement Plan's phase 2 actions (seed 002), dated DEMO_TODAY."""
    source = ctx.office.inputs / "closedown.xlsx"
    if not source.exists():
        source = write_example_inputs(ctx.outputs / "demo" / "inputs")[1]
    path, actions = ctx.office.closedown(source, DEMO_TODAY)
    ctx.say(f"   {len(actions)} actions closed down → {path}")
    ctx.files.append(path)


def step_scorecard(ctx: DemoContext) -> None:
    """The corporate performance report and its committee paper for the demo month, from the
    example KPIs, corporate plan (Priority Activities, Gateway Review) and the store."""
    from etl.cycle.scorecard import PaperDetails

    kpis = ctx.office.inputs / "kpis.xlsx"
    if not kpis.exists():
        kpis = write_example_inputs(ctx.outputs / "demo" / "inputs")[2]
    run = ctx.office.scorecard(DEMO_PERIOD, kpis, paper=PaperDetails(meeting_date=DEMO_TODAY))
    received = sum(1 for p in run.projects if p.return_period)
    ctx.say(
        f"   {DEMO_PERIOD}: {len(run.scored)} KPIs, {len(run.red)} Red; {len(run.projects)} Most Complex projects "
        f"({received} with a return); {len(run.activities)} priority activities, {len(run.commitments)} Gateway "
        f"Review commitments → {run.path}, {run.paper_path.name}"
    )
    ctx.files += [run.path, run.paper_path]


def step_emails(ctx: DemoContext) -> None:
    """The month's emails as .eml drafts: templates out, reminders as of DEMO_TODAY, feedback on rejected returns."""
    from etl.mail.mailer import EmlFolder

    folder = ctx.outputs / "demo" / "emails"
    for kind in ("send", "chase", "feedback"):
        run = ctx.office.mail(kind, DEMO_PERIOD, EmlFolder(folder / kind), as_of=DEMO_TODAY, resend=True)
        written = [Path(o.detail) for o in run.outcomes if o.status == "draft"]
        ctx.say(f"   {kind}: {len(written)} drafts → {folder / kind}")
        ctx.files += written


def step_register(ctx: DemoContext) -> None:
    """The Single Project Register for each demo month, from whatever the demo store holds.

    Built oldest first, so each register can list the projects added or closed since the
    one before; each is as at the end of the month after its period (the last as at DEMO_TODAY).
    """
    for period in DEMO_PERIODS:
        as_of = min(DEMO_TODAY, period.shift(1).last_day)
        path, register = ctx.office.register(period, as_of)
        status = register.status_counts()
        ctx.say(
            f"   {period}: {len(register.live)} live projects ({len(register.closed)} closed, listed), "
            f"{status['Received'] + status['Received late']} returns received, {status['Missing']} missing, "
            f"{len(register.escalations)} escalated → {path}"
        )
        ctx.files.append(path)


def step_dashboard(ctx: DemoContext) -> None:
    """The public Performance Dashboard for the demo month: a static site with a map and a page per project."""
    index, dashboard = ctx.office.dashboard(DEMO_PERIOD, DEMO_TODAY)
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
    outputs = Path(outputs_dir)
    store_dir = outputs / "demo"
    shutil.rmtree(store_dir, ignore_errors=True)
    store_dir.mkdir(parents=True)
    inputs = demo_inputs(Path(inputs_dir) if inputs_dir else None, outputs)
    ctx = DemoContext(Office(inputs=inputs, outputs=outputs, db=store_dir / "pmo.db"), progress)
    for number, (title, step) in enumerate(STEPS, start=1):
        progress(f"{number}. {title}")
        step(ctx)
    return ctx
