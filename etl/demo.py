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
from etl.periods import Period

#: The reporting months the demo runs through, oldest first; the last is "this month".
DEMO_PERIODS = (Period(2023, 7), Period(2023, 8), Period(2023, 9))
DEMO_PERIOD = DEMO_PERIODS[-1]
#: The day the demo pretends it is when it builds the month's workbooks.
DEMO_TODAY = dt.date(2023, 10, 20)
BUNDLED_INPUTS = Path(__file__).resolve().parent.parent / "inputs"
BUNDLED_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
    from etl.templates import prepare_templates

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
    from etl.partner import fill_period

    folder = demo_returns_folder(ctx.outputs, period)
    filled = fill_period(ctx.inputs / "portfolio.xlsx", period, ctx.settings, BUNDLED_EXAMPLES / "returns",
                         folder, ctx.store_path)
    late = sum(1 for f in filled if f.received.date() > _due_date(ctx, period))
    ctx.say(f"   {period}: {len(filled)} returns filled by partners ({late} sent after the due date) → {folder}")
    ctx.files += [f.path for f in filled]


def step_ingest(ctx: DemoContext, period: Period) -> None:
    """Ingest the month's returns into the demo store; the validation report lists what was rejected."""
    from etl.ingest import ingest_folder
    from etl.portfolio import due_projects, load_portfolio
    from etl.store import Store

    portfolio = load_portfolio(ctx.inputs / "portfolio.xlsx", ctx.settings)
    with Store(ctx.store_path) as store:
        result = ingest_folder(demo_returns_folder(ctx.outputs, period), period, store, portfolio, ctx.settings,
                               ctx.outputs, today=DEMO_TODAY)
        stored = {r["project_id"] for r in store.current_returns(period)}
    missing = sorted(set(due_projects(portfolio, period, ctx.settings).index) - stored)
    ctx.say(f"   {period}: accepted {len(result.all_accepted)}, rejected {len(result.rejected)}, "
            f"missing {len(missing)} → {result.report_path}")
    if result.report_path:
        ctx.files.append(result.report_path)


def _due_date(ctx: DemoContext, period: Period) -> dt.date:
    from etl.periods import due_date

    return due_date(period, ctx.settings.due_working_day, ctx.settings.holiday_subdivision)


def step_monthly_cycle(ctx: DemoContext) -> None:
    """Month by month: templates → partners' returns → ingest, so each month's templates carry
    the previous RAG from the returns accepted the month before."""
    for period in DEMO_PERIODS:
        step_templates(ctx, period)
        step_returns(ctx, period)
        step_ingest(ctx, period)


#: (title, step) in the order the cycle runs.
STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Each month: prefilled templates, partners' returns, ingest and validation report", step_monthly_cycle),
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
