"""The `pmo` command: parses options, shows progress, prints summaries, maps errors to exit codes.

No business logic lives here; each command calls the library in `etl/`. Heavy imports
(pandas, pandera) happen inside the commands so `pmo --help` stays instant.
Exit codes: 0 success; 1 the work ran but found problems; 2 bad usage or configuration.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from etl.errors import ConfigError, PmoError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _period(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from etl.periods import Period

    try:
        return Period.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def period_option(required: bool = True):
    return click.option(
        "--period", callback=_period, required=required, metavar="YYYY-MM",
        help="The reporting period, a calendar month, e.g. 2024-09.",
    )


def common_options(func):
    """--db, --inputs and --outputs, shared by every command."""
    func = click.option(
        "--outputs", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
        show_default=True, help="Where workbooks and lists are written (in a folder per period).",
    )(func)
    func = click.option(
        "--inputs", type=click.Path(file_okay=False, path_type=Path), default=Path("inputs"),
        show_default=True, help="Folder with portfolio.xlsx, kpis.xlsx and pmo.toml.",
    )(func)
    func = click.option(
        "--db", type=click.Path(dir_okay=False, path_type=Path), envvar="PMO_DB", default=Path("pmo.db"),
        show_default=True, help="The history store (SQLite). Also set by PMO_DB.",
    )(func)
    return func


def reports_errors(func):
    """Turn library errors into a message on stderr and the right exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PmoError as exc:
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            for problem in exc.problems:
                click.echo(f"  - {problem}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


def _settings(inputs: Path):
    from etl.config import load_settings

    return load_settings(inputs)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pmo")
def main() -> None:
    """pmo: the programme office's monthly reporting cycle.

    templates → send → ingest → chase → register / scorecard / highlight.
    Run `pmo demo` to see the whole cycle on the bundled example data.
    """


@main.command()
@period_option()
@common_options
@click.option("--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The portfolio workbook or CSV. [default: <inputs>/portfolio.xlsx]")
@reports_errors
def templates(period, db, inputs, outputs, portfolio) -> None:
    """Write a prefilled highlight-report template for every project due this period,
    and the distribution list to mail them with."""
    from etl.templates import prepare_templates

    portfolio = portfolio or inputs / "portfolio.xlsx"
    if not portfolio.exists():
        raise ConfigError(f"{portfolio}: portfolio not found (put it there, or pass --portfolio)")
    run = prepare_templates(portfolio, period, _settings(inputs))
    due = run.due
    with click.progressbar(length=len(due), label=f"Templates for {period}", file=sys.stderr) as bar:
        written, distribution = run.write(outputs, db, on_written=lambda info: bar.update(1))
    counts = run.counts()
    click.echo(
        f"{len(written)} templates for {period.label} ({counts['full']} full, {counts['simplified']} simplified) "
        f"in {outputs / str(period) / 'templates'}"
    )
    click.echo(
        f"Not due this period: {counts['not_due']}; paused (pipeline): {counts['paused']}; closed: {counts['closed']}."
    )
    if written:
        click.echo(f"Distribution list: {distribution} (returns due {written[0].due_date:%d/%m/%Y})")


@main.command()
@common_options
@reports_errors
def demo(db, inputs, outputs) -> None:
    """Run the monthly cycle on the bundled example data, end to end."""
    from etl.demo import run_demo

    def say(message: str) -> None:
        click.echo(message)

    result = run_demo(outputs_dir=outputs, inputs_dir=inputs, progress=say)
    click.secho(f"Demo complete: {len(result.files)} files in {result.outputs} (store: {result.store_path})", fg="green")


@main.command()
@click.option("--programme", required=True, metavar="NAME", help="The programme, as named in the portfolio's Programme column.")
@period_option()
@click.option("--overview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A text or Markdown file with the lead director's overview.")
@click.option("--overall", metavar="RAG", default=None,
              help="The overall programme RAG set by the lead (else the median of the workstreams is suggested).")
@common_options
@click.option("--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The portfolio workbook or CSV. [default: <inputs>/portfolio.xlsx]")
@reports_errors
def highlight(programme, period, overview, overall, db, inputs, outputs, portfolio) -> None:
    """Build a programme's highlight report for the Board from its workstreams' accepted returns."""
    from etl.highlight import build_highlight

    portfolio = portfolio or inputs / "portfolio.xlsx"
    if not portfolio.exists():
        raise ConfigError(f"{portfolio}: portfolio not found (put it there, or pass --portfolio)")
    if overview is not None and not overview.exists():
        raise ConfigError(f"{overview}: overview file not found")
    if not db.exists():
        click.secho(f"Warning: no history store at {db}: every workstream is shown as Missing", fg="yellow", err=True)
    path, report = build_highlight(portfolio, db, programme, period, outputs, overview, overall, _settings(inputs))
    received = len(report.workstreams) - len(report.missing)
    click.echo(f"{report.programme}, {period.label}: {received} of {len(report.workstreams)} workstream returns")
    for ws in report.workstreams:
        click.echo(f"  {ws.project_id}  {ws.name}: {ws.this_period} (last period {ws.rag_last or 'not known'})")
    how = "set by the lead" if report.overall else "suggested"
    click.echo(f"Overall programme RAG: {report.overall_rag or 'none (no returns)'} ({how}; "
               f"median of the workstreams: {report.suggested or 'none'})")
    click.echo(f"Wrote {path}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--outputs", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
              show_default=True, help="Where the tracker workbook is written.")
@click.option("--date", "built", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date in the tracker's name and title (YYYY-MM-DD). [default: today]")
@reports_errors
def closedown(file, outputs, built) -> None:
    """Build the close-down tracker from an actions sheet (sheet `Actions`, or a .csv)."""
    import datetime as dt

    from etl.closedown import build_closedown, summary_counts
    from schemas.closedown import DESTINATIONS

    day = built.date() if built else dt.date.today()
    path, actions = build_closedown(file, outputs, day)
    click.echo(f"{len(actions)} actions in {len(summary_counts(actions))} themes")
    for destination in DESTINATIONS:
        click.echo(f"  {destination}: {sum(a.destination == destination for a in actions)}")
    click.echo(f"Wrote {path}")


@main.command()
@period_option()
@common_options
@click.option("--kpis", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The KPI workbook or CSV. [default: <inputs>/kpis.xlsx]")
@click.option("--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The portfolio, for the Most Complex projects. [default: <inputs>/portfolio.xlsx]")
@reports_errors
def scorecard(period, db, inputs, outputs, kpis, portfolio) -> None:
    """Build the corporate performance report: balanced scorecard, Red KPIs, thematic
    committee reports and the Most Complex projects; record the KPI values in the store."""
    from etl.scorecard import build_scorecard

    kpis = kpis or inputs / "kpis.xlsx"
    portfolio = portfolio or inputs / "portfolio.xlsx"
    for path, what, option in ((kpis, "KPI sheet", "--kpis"), (portfolio, "portfolio", "--portfolio")):
        if not path.exists():
            raise ConfigError(f"{path}: {what} not found (put it there, or pass {option})")
    run = build_scorecard(kpis, period, db, portfolio, outputs, _settings(inputs))
    counts = ", ".join(f"{n} {rating}" for rating, n in sorted(run.counts.items()))
    click.echo(f"{len(run.scored)} KPIs for {period.label} (RAG vs Direction: {counts}); {len(run.red)} Red KPIs")
    received = sum(1 for p in run.projects if p.return_period)
    click.echo(f"Most Complex projects: {len(run.projects)} ({received} with a return on record)")
    click.echo(f"KPI values recorded in {db}; report: {run.path}")


if __name__ == "__main__":  # pragma: no cover
    main()
