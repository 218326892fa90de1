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
#: The years a --period may be in.
FIRST_PERIOD, LAST_PERIOD = 2000, 2099


def _echo(message: object = "", keep_newlines: bool = False, **kwargs) -> None:
    """Print a line; what came from a file (values, file and sheet names) cannot drive the terminal."""
    from etl.terminal import terminal_safe

    click.echo(terminal_safe(message, keep_newlines), **kwargs)


def _secho(message: object = "", keep_newlines: bool = False, **kwargs) -> None:
    """`_echo` in colour."""
    from etl.terminal import terminal_safe

    click.secho(terminal_safe(message, keep_newlines), **kwargs)


def _period(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from etl.rules.periods import Period

    try:
        period = Period.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if not FIRST_PERIOD <= period.year <= LAST_PERIOD:
        # The cycle reaches into the months around a period (due dates, history): keep it well inside the calendar.
        raise click.BadParameter(f"'{value}' is outside the years pmo reports on ({FIRST_PERIOD} to {LAST_PERIOD})")
    return period


def period_option(required: bool = True):
    return click.option(
        "--period", callback=_period, required=required, metavar="YYYY-MM",
        help="The reporting period, a calendar month, e.g. 2024-09.",
    )


class StoreLocation(click.ParamType):
    """`--db`: a path (an SQLite file) or a postgresql:// URL; a URL is never echoed with its password."""

    name = "PATH|URL"

    def convert(self, value, param, ctx):
        from etl.office import is_url

        if isinstance(value, Path) or not is_url(str(value)):
            return Path(value)
        return str(value)


def _remember_officer(ctx: click.Context, param: click.Parameter, value: str | None):
    if value:
        ctx.meta["pmo_officer"] = value
    return value


def common_options(func):
    """--db, --as, --inputs and --outputs, shared by every command."""
    func = click.option(
        "--outputs", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
        show_default=True, help="Where workbooks and lists are written (in a folder per period).",
    )(func)
    func = click.option(
        "--inputs", type=click.Path(file_okay=False, path_type=Path), default=Path("inputs"),
        show_default=True, help="Folder with portfolio.xlsx, kpis.xlsx and pmo.toml.",
    )(func)
    func = click.option(
        "--as", "officer", envvar="PMO_OFFICER", default=None, metavar="NAME", expose_value=False,
        callback=_remember_officer,
        help="The officer this run is recorded for (`pmo log`). Also set by PMO_OFFICER. [default: your login]",
    )(func)
    func = click.option(
        "--db", type=StoreLocation(), envvar="PMO_DB", default="pmo.db", show_default=True,
        help="The history store: an SQLite file, or a shared PostgreSQL server as postgresql://USER@HOST/DATABASE "
             "(password from PGPASSWORD or ~/.pgpass). Also set by PMO_DB.",
    )(func)
    return func


def records_run(command: str):
    """Record the command's run (officer, options, times, counts) in every store it changes.

    A dry run changes nothing and records nothing.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            from etl.office import recording

            ctx = click.get_current_context()
            if ctx.params.get("dry_run"):
                return func(*args, **kwargs)
            with recording(command, ctx.meta.get("pmo_officer"), ctx.params.get("period"), ctx.params):
                return func(*args, **kwargs)

        return wrapper

    return decorate


portfolio_option = click.option(
    "--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The portfolio workbook or CSV. [default: <inputs>/portfolio.xlsx]",
)


def _office(db: Path, inputs: Path, outputs: Path, portfolio: Path | None = None):
    """The office the command works for: its folders, store, portfolio and settings."""
    from etl.office import Office

    return Office(inputs=inputs, outputs=outputs, db=db, portfolio_path=portfolio)


def reports_errors(func):
    """Turn library errors into a message on stderr and the right exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PmoError as exc:
            _report_error(exc)
        except Exception as exc:
            from etl.office import store_failure

            # A database error or a full disk: one line, no traceback.
            failure = store_failure(exc, click.get_current_context().params.get("db"))
            if failure is None:
                raise
            _report_error(failure)
        except KeyboardInterrupt:
            _echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


def _report_error(exc: PmoError) -> None:
    _secho(f"Error: {exc.message}", fg="red", err=True)
    for problem in exc.problems:
        _echo(f"  - {problem}", err=True)
    sys.exit(exc.exit_code)


def _note(**counts: int) -> None:
    """The run's outcome counts, for `pmo log`."""
    from etl.office import note

    note(**counts)


def _where(db) -> str:
    """The store as it may be shown: a URL without its password."""
    from etl.office import describe

    return describe(db)


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
@portfolio_option
@reports_errors
def templates(period, db, inputs, outputs, portfolio) -> None:
    """Write a prefilled highlight-report template for every project due this period,
    and the distribution list to mail them with."""
    from etl.cycle.templates import prepare_templates, templates_folder
    from etl.rules.dates import uk_date

    office = _office(db, inputs, outputs, portfolio)
    due = prepare_templates(office.portfolio, period, office.settings).due
    with click.progressbar(length=len(due), label=f"Templates for {period}", file=sys.stderr) as bar:
        done = office.templates(period, on_written=lambda info: bar.update(1))
    written, distribution, counts = done.written, done.distribution, done.counts()
    _echo(
        f"{len(written)} templates for {period.label} ({counts['full']} full, {counts['simplified']} simplified) "
        f"in {templates_folder(outputs, period)}"
    )
    _echo(
        f"Not due this period: {counts['not_due']}; paused (pipeline): {counts['paused']}; closed: {counts['closed']}."
    )
    if written:
        _echo(f"Distribution list: {distribution} (returns due {uk_date(written[0].due_date)})")


@main.command()
@common_options
@reports_errors
def demo(db, inputs, outputs) -> None:
    """Run the monthly cycle on the bundled example data, end to end."""
    from etl.demo.runner import run_demo

    def say(message: str) -> None:
        _echo(message)

    result = run_demo(outputs_dir=outputs, inputs_dir=inputs, progress=say)
    _secho(f"Demo complete: {len(result.files)} files in {result.outputs} (store: {result.store_path})", fg="green")


@main.command()
@click.option("--programme", required=True, metavar="NAME", help="The programme, as named in the portfolio's Programme column.")
@period_option()
@click.option("--overview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A text or Markdown file with the lead director's overview.")
@click.option("--overall", metavar="RAG", default=None,
              help="The overall programme RAG set by the lead (else the median of the workstreams is suggested).")
@common_options
@portfolio_option
@reports_errors
def highlight(programme, period, overview, overall, db, inputs, outputs, portfolio) -> None:
    """Build a programme's highlight report for the Board from its workstreams' accepted returns."""
    office = _office(db, inputs, outputs, portfolio)
    if not office.has_store():
        _secho(f"Warning: no history store at {_where(db)}: every workstream is shown as Missing", fg="yellow", err=True)
    path, report = office.highlight(programme, period, overview, overall)
    received = len(report.workstreams) - len(report.missing)
    _echo(f"{report.programme}, {period.label}: {received} of {len(report.workstreams)} workstream returns")
    for ws in report.workstreams:
        _echo(f"  {ws.project_id}  {ws.name}: {ws.this_period} (last period {ws.rag_last or 'not known'})")
    how = "set by the lead" if report.overall else "suggested"
    _echo(f"Overall programme RAG: {report.overall_rag or 'none (no returns)'} ({how}; "
               f"median of the workstreams: {report.suggested or 'none'})")
    _echo(f"Wrote {path}")


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

    from etl.cycle.closedown import summary_counts
    from etl.office import Office
    from schemas.closedown import DESTINATIONS

    day = built.date() if built else dt.date.today()
    path, actions = Office(outputs=outputs).closedown(file, day)
    _echo(f"{len(actions)} actions in {len(summary_counts(actions))} themes")
    for destination in DESTINATIONS:
        _echo(f"  {destination}: {sum(a.destination == destination for a in actions)}")
    _echo(f"Wrote {path}")


@main.command()
@period_option()
@common_options
@click.option("--kpis", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The KPI workbook or CSV. [default: <inputs>/kpis.xlsx]")
@click.option("--activities", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Priority Activities (workbook or CSV). [default: sheet of <inputs>/corporate_plan.xlsx]")
@click.option("--gateway", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Gateway Review commitments (workbook or CSV). [default: sheet of <inputs>/corporate_plan.xlsx]")
@click.option("--meeting", default=None, help="The meeting on the paper's cover. [default: setting paper_meeting]")
@click.option("--meeting-date", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]), default=None,
              help="The meeting's date (YYYY-MM-DD or DD/MM/YYYY). [default: today]")
@click.option("--author", default=None, help="Who the paper is by. [default: setting paper_author]")
@portfolio_option
@reports_errors
@records_run("scorecard")
def scorecard(period, db, inputs, outputs, kpis, activities, gateway, meeting, meeting_date, author, portfolio) -> None:
    """Build the corporate performance report (workbook and committee paper): balanced
    scorecard, Red KPIs with planned actions, thematic committee reports, the Most Complex
    projects, Priority Activities and the Gateway Review; record the KPI values in the store.
    Rows with problems are set aside and listed (exit 1); an unusable sheet stops (exit 2)."""
    from etl.cycle.scorecard import PaperDetails

    details = PaperDetails(meeting, meeting_date.date() if meeting_date else None, author)
    run = _office(db, inputs, outputs, portfolio).scorecard(period, kpis, activities, gateway, details)
    counts = ", ".join(f"{n} {rating}" for rating, n in sorted(run.counts.items()))
    _echo(f"{len(run.scored)} KPIs for {period.label} (RAG vs Direction: {counts}); {len(run.red)} Red KPIs")
    _note(kpis=len(run.scored), red=len(run.red))
    _echo(f"No new data since an earlier report: {len(run.no_new_data)} KPIs (ratings kept); "
               f"Red without planned actions: {len(run.red_without_actions)}")
    received = sum(1 for p in run.projects if p.return_period)
    _echo(f"Most Complex projects: {len(run.projects)} ({received} with a return on record; "
               f"{len(run.changes.added)} added, {len(run.changes.removed)} removed since the previous report)")
    _echo(f"Priority activities: {len(run.activities)} ({len(run.overdue)} overdue); "
               f"Gateway Review commitments: {len(run.commitments)}")
    _echo(f"KPI values recorded in {_where(db)}; report: {run.path}; paper: {run.paper_path}")
    if run.problems:
        _secho(f"{len(run.problems)} problem(s) in the inputs: those rows were set aside (see the Problems sheet)",
                    fg="yellow", err=True)
        for problem in run.problems:
            _echo(f"  - {problem}", err=True)
        sys.exit(1)


_MAIL_OPTIONS = ("dry_run", "eml", "smtp_host", "smtp_port", "starttls", "ssl", "smtp_user", "resend")


def mail_options(func):
    """Where the emails go: --dry-run, --eml DIR, or an SMTP server; and --resend.

    The command receives them together as one `mail` dict.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        mail = {name: kwargs.pop(name) for name in _MAIL_OPTIONS}
        if mail["starttls"] and mail["ssl"]:
            raise click.UsageError("--starttls and --ssl: choose one (STARTTLS on 587, or TLS from the start on 465)")
        return func(*args, mail=mail, **kwargs)

    options = [
        click.option("--resend", is_flag=True, help="Send again what was already sent (normally skipped)."),
        click.option("--smtp-user", envvar="PMO_SMTP_USER", default=None, metavar="USER",
                     help="Log in as this user; the password is read ONLY from the environment variable "
                          "PMO_SMTP_PASSWORD. Also set by PMO_SMTP_USER."),
        click.option("--ssl", is_flag=True, help="Connect with TLS from the start (usually port 465)."),
        click.option("--starttls", is_flag=True,
                     help="Upgrade the connection with STARTTLS (usually port 587; Office 365)."),
        click.option("--smtp-port", type=int, envvar="PMO_SMTP_PORT", default=None, metavar="PORT",
                     help="[default: 465 with --ssl, 587 with --starttls, else 25] Also set by PMO_SMTP_PORT."),
        click.option("--smtp-host", envvar="PMO_SMTP_HOST", default=None, metavar="HOST",
                     help="Send through this SMTP server. Also set by PMO_SMTP_HOST."),
        click.option("--eml", "eml", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
                     help="Write each email as an .eml draft in DIR instead of sending (open in Outlook or Thunderbird)."),
        click.option("--dry-run", is_flag=True, help="Show what would be sent; send, write and record nothing."),
    ]
    for option in options:
        wrapper = option(wrapper)
    return wrapper


def _mail(office, kind: str, period, mail: dict, as_of=None) -> None:
    """Plan (send, chase or feedback) from the store, deliver, print a line per message and a
    summary; exit 1 if any failed."""
    from etl.mail.distribute import choose_transport, describe

    dry_run, eml, resend = mail["dry_run"], mail["eml"], mail["resend"]
    security = "ssl" if mail["ssl"] else "starttls" if mail["starttls"] else None
    transport = choose_transport(dry_run, eml, mail["smtp_host"], mail["smtp_port"], security, mail["smtp_user"])
    def notes(plan) -> None:
        for note in plan.notes:
            _secho(f"Note: {note}", fg="yellow", err=True)

    run = office.mail(kind, period, transport, resend, as_of, on_outcome=lambda o: _echo(describe(o), keep_newlines=True), on_plan=notes)
    plan, to_go, skipped, outcomes = run.plan, run.to_go, run.skipped, run.outcomes
    counts = {s: run.count(s) for s in ("sent", "draft", "failed")}
    if not dry_run:  # sent, or being sent, by another officer's run at the same time
        skipped = skipped + [o for o in outcomes if o.status is None]
    _note(**counts, skipped=len(skipped))
    done = f"{len(to_go) - counts['failed']} would go" if dry_run else (
        f"{counts['draft']} drafts in {eml}" if eml else f"{counts['sent']} sent")
    _echo(f"{plan.kind} {plan.period}: {len(plan.drafts)} email(s): {done}, {counts['failed']} failed, "
               f"{len(skipped)} already sent")
    if skipped and not resend:
        _echo("Already-sent emails were skipped; use --resend to send them again.")
    copies_refused = sum(1 for o in outcomes if o.status == "sent" and o.detail)
    if copies_refused:
        _secho(f"{copies_refused} email(s) went, but a copy address was refused: see above.", fg="yellow", err=True)
    if counts["failed"]:
        _secho(f"{counts['failed']} email(s) failed; run the same command again to send only those.", fg="red", err=True)
    if counts["failed"] or copies_refused:
        sys.exit(EXIT_PROBLEMS)


@main.command()
@period_option()
@common_options
@mail_options
@reports_errors
@records_run("send")
def send(period, db, inputs, outputs, mail) -> None:
    """Email each template on the period's distribution list to its project manager,
    copying the internal representative (after `pmo templates`)."""
    _mail(_office(db, inputs, outputs), "send", period, mail)


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None):
    import datetime as dt

    from etl.rules.values import parse_date

    if value is None:
        return None if param.name in ("received_on", "register_as_of") else dt.date.today()
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@period_option()
@common_options
@click.option("--as-of", callback=_as_of, default=None, metavar="DATE", help="Chase as on this date. [default: today]")
@portfolio_option
@mail_options
@reports_errors
@records_run("chase")
def chase(period, db, inputs, outputs, as_of, portfolio, mail) -> None:
    """Remind every project whose return is missing after its due date, copying the internal
    representative and, once long overdue, the escalation address (settings)."""
    _mail(_office(db, inputs, outputs, portfolio), "chase", period, mail, as_of)


@main.command()
@period_option()
@common_options
@portfolio_option
@mail_options
@reports_errors
@records_run("feedback")
def feedback(period, db, inputs, outputs, portfolio, mail) -> None:
    """Email each partner whose return was rejected the exact problems (cell, value, how to fix),
    with their file attached back."""
    _mail(_office(db, inputs, outputs, portfolio), "feedback", period, mail)


@main.command()
@period_option()
@common_options
@portfolio_option
@click.option("--as-of", "register_as_of", callback=_as_of, metavar="DATE",
              help="The date the register is as at (days overdue count to it), e.g. 2024-10-20. "
                   "[default: today; for a past period, its due date plus the chase interval]")
@reports_errors
@records_run("register")
def register(period, db, inputs, outputs, portfolio, register_as_of) -> None:
    """Build the Single Project Register: every project's RAG, direction of travel and
    return status, with the escalations, the missing returns and what changed."""
    from etl.rules.dates import uk_date

    office = _office(db, inputs, outputs, portfolio)
    path, built = office.register(period, register_as_of)
    if register_as_of is None:
        _echo(f"As at {uk_date(built.as_of)} (pass --as-of to choose; a past period defaults to its due "
                   f"date plus the chase interval of {office.settings.chase_interval_days} days)")
    status = built.status_counts()
    since = f"since the register for {built.previous_register}" if built.previous_register else "since the last returns"
    _echo(
        f"Register for {period.label}: {len(built.live)} live projects ({len(built.closed)} closed, listed); "
        f"{status['Received'] + status['Received late']} returns received ({status['Received late']} late), "
        f"{status['Not rated']} not rated, {status['Awaited']} awaited, {status['Missing']} missing; "
        f"{len(built.escalations)} escalated; {len(built.changes)} changes {since}."
    )
    _note(projects=len(built.rows), received=status["Received"] + status["Received late"], missing=status["Missing"])
    _echo(f"Written: {path}")


@main.command()
@period_option()
@common_options
@portfolio_option
@click.option("--as-of", "as_of", callback=_as_of, metavar="DATE",
              help="The date the position is as at, shown on the dashboard, e.g. 2024-10-20. [default: today]")
@reports_errors
def dashboard(period, db, inputs, outputs, portfolio, as_of) -> None:
    """Write the public Performance Dashboard for the period to outputs/<period>/dashboard/: an
    overview, filters, a map, a page per project and open data, public fields only."""
    path, built = _office(db, inputs, outputs, portfolio).dashboard(period, as_of)
    click.echo(
        f"Dashboard for {period.label}: {len(built.projects)} projects published "
        f"({built.withheld} kept off by the portfolio's Publish column); {len(built.positions)} on the map; "
        f"{built.returns_received} of {built.returns_due} returns due received."
    )
    if built.returns_received == 0:
        click.echo(f"No returns received for {period}: the dashboard says so.")
    if built.unmapped:
        noun = "project" if len(built.unmapped) == 1 else "projects"
        click.secho(f"{len(built.unmapped)} {noun} listed but not mapped:", fg="yellow")
        for pid, name, why in built.unmapped:
            click.echo(f"  - {pid} {name}: {why}")
    click.echo(f"Written: {path} (open it in a browser, or upload the folder as it is)")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@period_option()
@common_options
@portfolio_option
@click.option("--received-on", "received_on", callback=_as_of, metavar="DATE",
              help="Take every file as received on this date (loading past periods), not its modified time; "
                   "a saved e-mail keeps its message's date.")
@reports_errors
@records_run("ingest")
def ingest(folder, period, db, inputs, outputs, portfolio, received_on) -> None:
    """Read every return in FOLDER (and below; in saved e-mails, .eml and .msg, too), validate
    them, store the accepted ones and write outputs/<period>/validation_report.xlsx.
    Exit 1 when any return was rejected."""
    from etl.cycle.ingest import offered_paths

    if not folder.is_dir():
        raise ConfigError(f"{folder}: folder of returns not found")
    office = _office(db, inputs, outputs, portfolio)
    office.portfolio  # a bad portfolio stops the run before the progress bar starts
    total = len(offered_paths(folder))
    with click.progressbar(length=total, label=f"Returns for {period}", file=sys.stderr) as bar:
        result = office.ingest(folder, period, on_file=lambda path: bar.update(1), received_on=received_on)
    _note(accepted=len(result.accepted) + len(result.superseded), rejected=len(result.rejected),
          duplicates=len(result.duplicates), skipped=len(result.skipped))
    _echo(result.summary())
    _echo(f"Validation report: {result.report_path}")
    for outcome in result.rejected:
        _secho(f"Rejected: {outcome.name}", fg="red")
        for problem in outcome.errors:
            where = ", ".join(x for x in (problem.field and f"'{problem.field}'", problem.cell and f"cell {problem.cell}") if x)
            _echo(f"  - {where + ': ' if where else ''}{problem.message}")
    sys.exit(result.exit_code)


@main.command()
@period_option()
@common_options
@portfolio_option
@click.option("--dry-run", is_flag=True, help="List what would be taken from the mailbox; download, store and move nothing.")
@reports_errors
@records_run("collect")
def collect(period, db, inputs, outputs, portfolio, dry_run) -> None:
    """Take the returns e-mailed to the office mailbox (IMAP, set up in pmo.toml; password from
    PMO_IMAP_PASSWORD), ingest them as `pmo ingest` does, and remember each message so a re-run
    takes only new ones. Mail is never deleted. Exit 1 when any return was rejected or refused."""
    import os

    from etl.mail.inbox import PASSWORD_ENV

    office = _office(db, inputs, outputs, portfolio)
    result = office.collect(period, os.environ.get(PASSWORD_ENV), dry_run=dry_run)
    for message in result.messages:
        _echo(message.describe())
    for note in result.notes:
        _secho(f"Note: {note}", fg="yellow", err=True)
    verb = "would be taken" if dry_run else "taken"
    took = sum(1 for m in result.messages if m.status in ("taken", "would take"))
    _echo(f"{result.mailbox}: {took} message(s) {verb}, {result.count('too big')} too big, "
               f"{result.count('already taken')} copies of messages already taken, {result.already} taken before.")
    if result.ingest is not None:
        _echo(result.ingest.summary())
        _echo(f"Validation report: {result.ingest.report_path}")
    for folder, count in result.moved.items():
        _echo(f"Moved {count} message(s) to {folder}.")
    if result.lost:
        _secho(f"Error: {result.lost}", fg="red", err=True)
    sys.exit(0 if dry_run and not result.lost else result.exit_code)


@main.command("log")
@click.option("--period", "period_filter", callback=_period, default=None, metavar="YYYY-MM",
              help="Only runs for this period.")
@click.option("--officer", default=None, metavar="NAME", help="Only this officer's runs.")
@click.option("--command", "command_filter", default=None, metavar="COMMAND", help="Only runs of this command, e.g. ingest.")
@common_options
@reports_errors
def log(period_filter, officer, command_filter, db, inputs, outputs) -> None:
    """List who ran what on the store: officer, command, period, start and end, outcome and counts."""
    from etl.office import log_line

    found = _office(db, inputs, outputs).log(period_filter, officer, command_filter)
    for run in found:
        _echo(log_line(run))
    _echo(f"{len(found)} run(s)")


@main.group()
def archive() -> None:
    """The archived returns: every accepted file, kept by its SHA-256."""


@archive.command("get")
@click.argument("sha256")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the file. [default: its original name, here]")
@common_options
@reports_errors
def archive_get(sha256, output, db, inputs, outputs) -> None:
    """Write the archived return with this SHA-256 (as shown in the validation report) to a file."""
    from etl.files import atomic_path

    name, content = _office(db, inputs, outputs).archived(sha256)
    target = output or Path(name)
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(content)
    _echo(f"Wrote {target} ({name}, {len(content):,} bytes)")


@main.group("db")
def db_group() -> None:
    """The store itself: copy it between SQLite and PostgreSQL."""


@db_group.command("copy")
@click.argument("source", type=StoreLocation())
@click.argument("target", type=StoreLocation())
@click.option("--merge", is_flag=True, help="Add SOURCE's history to a TARGET that already holds some.")
@click.option("--as", "officer", envvar="PMO_OFFICER", default=None, metavar="NAME", expose_value=False,
              callback=_remember_officer, help="The officer this copy is recorded for. Also set by PMO_OFFICER.")
@reports_errors
def db_copy(source, target, merge) -> None:
    """Copy a whole store (SQLite file or postgresql:// URL) into another, and check both sides."""
    from etl.office import Office

    officer = click.get_current_context().meta.get("pmo_officer")
    report = Office.copy_store(source, target, merge, officer, progress=lambda m: _echo(f"  {m}", err=True))
    for table, (source_rows, target_rows) in report.rows.items():
        _echo(f"{table:<18} {source_rows:>8} in the source, {target_rows:>8} in the target")
    _echo(f"Archived returns checked by hash: {report.archived}")
    _secho(f"{'Merged' if report.merged else 'Copied'} {report.source} into {report.target}", fg="green")


if __name__ == "__main__":  # pragma: no cover
    main()
