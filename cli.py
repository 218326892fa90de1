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
@click.argument("folder", type=click.Path(path_type=Path))
@period_option()
@common_options
@click.option("--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The portfolio workbook or CSV. [default: <inputs>/portfolio.xlsx]")
@reports_errors
def ingest(folder, period, db, inputs, outputs, portfolio) -> None:
    """Read every return in FOLDER (and below), validate them, store the accepted ones and
    write outputs/<period>/validation_report.xlsx. Exit 1 when any return was rejected."""
    from etl.ingest import ingest_folder, offered_paths
    from etl.portfolio import load_portfolio
    from etl.store import Store

    if not folder.is_dir():
        raise ConfigError(f"{folder}: folder of returns not found")
    portfolio = portfolio or inputs / "portfolio.xlsx"
    if not portfolio.exists():
        raise ConfigError(f"{portfolio}: portfolio not found (put it there, or pass --portfolio)")
    settings = _settings(inputs)
    projects = load_portfolio(portfolio, settings)
    total = len(offered_paths(folder))
    with Store(db) as store, click.progressbar(length=total, label=f"Returns for {period}", file=sys.stderr) as bar:
        result = ingest_folder(folder, period, store, projects, settings, outputs, on_file=lambda path: bar.update(1))
    click.echo(result.summary())
    click.echo(f"Validation report: {result.report_path}")
    for outcome in result.rejected:
        click.secho(f"Rejected: {outcome.name}", fg="red")
        for problem in outcome.errors:
            where = ", ".join(x for x in (problem.field and f"'{problem.field}'", problem.cell and f"cell {problem.cell}") if x)
            click.echo(f"  - {where + ': ' if where else ''}{problem.message}")
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
