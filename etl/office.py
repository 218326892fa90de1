"""The office's work in one object: its inputs, outputs, store and settings, a method per command.

`Office` is what `cli.py`, the demo, the benchmarks and the tests go through, the way
sqlite-utils' `Database` serves its CLI: each method loads what it needs once (the portfolio
is read and validated at most once per `Office`), runs the cycle's models, writes the
workbook with its layout and returns plain results for the caller to print. Nothing here
prints or exits; errors are the typed ones of `etl.errors`.

    office = Office(inputs="inputs", outputs="outputs", db="pmo.db")
    office.templates(Period(2024, 9))
    office.ingest("inputs/returns/2024-09", Period(2024, 9))
    office.register(Period(2024, 9), as_of=dt.date(2024, 10, 20))
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from etl.config import Settings, load_settings
from etl.errors import ConfigError
from etl.rules.periods import Period
from etl.store.backend import describe, is_url, store_failure  # noqa: F401 - also for cli.py
from etl.store.runs import log_line, note, recording  # noqa: F401 - for cli.py: who did what

if TYPE_CHECKING:
    import pandas as pd

    from etl.cycle.closedown import Action
    from etl.cycle.dashboard import Dashboard
    from etl.cycle.highlight import ProgrammeReport
    from etl.cycle.ingest import IngestResult
    from etl.cycle.register import Register
    from etl.cycle.scorecard import ScorecardRun
    from etl.cycle.scorecard import PaperDetails
    from etl.cycle.templates import TemplateInfo, TemplateRun
    from etl.mail.distribute import MailPlan, Outcome
    from etl.mail.inbox import CollectResult
    from etl.mail.mailer import Transport
    from etl.store.db import Store


#: The e-mails planned from the store's history (which returns arrived, which were rejected).
HISTORY_MAIL = ("chase", "feedback")


@dataclass
class TemplatesWritten:
    """A period's templates as written: the plan, each template, and the distribution list."""

    run: "TemplateRun"
    written: list["TemplateInfo"]
    distribution: Path

    def counts(self) -> dict[str, int]:
        return self.run.counts()


@dataclass
class MailRun:
    """What a send, chase or feedback run did: the plan, what was skipped as already sent, and
    the outcome of each message that went (or would go, on a dry run)."""

    plan: "MailPlan"
    to_go: list = field(default_factory=list)
    skipped: list["Outcome"] = field(default_factory=list)
    outcomes: list["Outcome"] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass
class Office:
    """One programme office: where its inputs and outputs live, its store, and its settings.

    `portfolio_path` defaults to `<inputs>/portfolio.xlsx`; `settings` to `<inputs>/pmo.toml`
    (or the defaults when there is none).
    """

    inputs: Path | str = Path("inputs")
    outputs: Path | str = Path("outputs")
    db: Path | str = Path("pmo.db")
    portfolio_path: Path | str | None = None
    settings: Settings | None = None

    def __post_init__(self) -> None:
        self.inputs, self.outputs = Path(self.inputs), Path(self.outputs)
        # A path (SQLite) stays a Path; a postgresql:// URL (a shared server) stays text.
        self.db = Path(self.db) if str(self.db) != ":memory:" and not is_url(self.db) else str(self.db)
        self.portfolio_path = Path(self.portfolio_path) if self.portfolio_path else self.inputs / "portfolio.xlsx"
        if self.settings is None:
            self.settings = load_settings(self.inputs)

    # ------------------------------------------------------------------ shared inputs

    @functools.cached_property
    def portfolio(self) -> "pd.DataFrame":
        """The validated portfolio (read once); `ConfigError` if it is not there."""
        from etl.cycle.portfolio import load_portfolio

        if not Path(self.portfolio_path).exists():
            raise ConfigError(f"{self.portfolio_path}: portfolio not found (put it there, or pass --portfolio)")
        return load_portfolio(self.portfolio_path, self.settings)

    def has_store(self) -> bool:
        from etl.store.backend import store_exists

        return store_exists(self.db)

    def store(self, must_exist: bool = False, record_run: bool = True) -> "Store":
        """Open the history store (created on first use, unless `must_exist`); it records the
        run in progress, if a command is recording one, unless `record_run` is False."""
        from etl.store.db import Store

        if must_exist:
            self.require_store()
        return Store(self.db, record_run=record_run)

    # ------------------------------------------------------------------ the store itself

    def log(self, period: Period | None = None, officer: str | None = None,
            command: str | None = None) -> list[dict]:
        """The runs recorded in the store (who did what), oldest first, filtered when asked."""
        with self.store(must_exist=True, record_run=False) as store:
            return store.runs(str(period) if period else None, officer, command)

    def archived(self, sha256: str) -> tuple[str, bytes]:
        """An archived return's name and bytes by its SHA-256; `ConfigError` if there is none."""
        with self.store(must_exist=True, record_run=False) as store:
            found = store.archived(sha256)
        if found is None:
            raise ConfigError(f"{sha256}: no archived return with this SHA-256 in {describe(self.db)}")
        return found

    @staticmethod
    def copy_store(source: Path | str, target: Path | str, merge: bool = False, officer: str | None = None,
                   progress: Callable[[str], None] | None = None):
        """Copy a whole store into another (`etl.store.copy`), then record the copy in the target's log."""
        from etl.store.backend import store_exists
        from etl.store.copy import copy_store
        from etl.store.db import Store

        if not store_exists(source):
            raise ConfigError(f"{describe(source)}: no history store here to copy")
        report = copy_store(source, target, merge, progress)
        with recording("db copy", officer, None, {"source": source, "target": target, "merge": merge}) as run:
            run.note(**{t: n for t, (_, n) in report.rows.items()}, archived=report.archived)
            Store(target).close()  # the copy's own line in the target's log
        return report

    def require_store(self) -> None:
        """`ConfigError` unless the history store exists (commands that read history need it)."""
        if not self.has_store():
            raise ConfigError(f"{describe(self.db)}: no history store here (run `pmo ingest` first, or pass --db / set PMO_DB)")

    # ------------------------------------------------------------------ the cycle

    def templates(self, period: Period, on_written: Callable[["TemplateInfo"], None] | None = None) -> TemplatesWritten:
        """Write a prefilled template for every project due in `period`, and the distribution list."""
        from etl.cycle.templates import distribution_path, prepare_templates, previous_returns, templates_folder, write_distribution
        from etl.workbooks.template import generate_templates

        run = prepare_templates(self.portfolio, period, self.settings)
        history = previous_returns(self.db if self.has_store() else None, period)
        written = generate_templates(run.due, period, templates_folder(self.outputs, period), self.settings,
                                     history, on_written)
        return TemplatesWritten(run, written, write_distribution(distribution_path(self.outputs, period), written))

    def ingest(self, folder: Path | str, period: Period, on_file: Callable[[Path], None] | None = None,
               today: dt.date | None = None, received_on: dt.date | None = None) -> "IngestResult":
        """Ingest every return in `folder` into the store, then write the run's validation report
        (`validation_report_<YYYYMMDD-HHMMSS>.xlsx`) and the period's (`validation_report.xlsx`:
        every file offered for the period, its latest outcome, which problems are still open).

        The outputs folder is checked before anything is stored: a run whose report cannot be
        written changes nothing (else the re-run would call the stored returns duplicates).
        `received_on` dates every file's receipt (back-filling past periods), instead of each
        file's modification time (which, for files copied in later, would make all of them late).
        """
        from etl.cycle.ingest import ingest_folder
        from etl.files import check_writable

        folder = Path(folder)
        if not folder.is_dir():
            raise ConfigError(f"{folder}: folder of returns not found")
        portfolio = self.portfolio
        check_writable(self.outputs / str(period), "the validation report")
        with self.store() as store:
            result = ingest_folder(folder, period, store, portfolio, self.settings, on_file=on_file, today=today,
                                   received_on=received_on)
            self._write_reports(result, store)
        return result

    def _write_reports(self, result: "IngestResult", store: "Store") -> None:
        """The run's own validation report (`validation_report_<YYYYMMDD-HHMMSS>.xlsx`) and the
        period's (`validation_report.xlsx`, from the store: every file offered for the period)."""
        from etl.cycle.ingest import REPORT_NAME
        from etl.cycle.period_report import period_view
        from etl.workbooks.validation_report import write_validation_report

        reports = self.outputs / str(result.period)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        view = period_view(store, result)
        write_validation_report(result, reports / REPORT_NAME.replace(".xlsx", f"_{stamp}.xlsx"))
        result.report_path = write_validation_report(result, reports / REPORT_NAME, view)

    def register(self, period: Period, as_of: dt.date | None = None,
                 today: dt.date | None = None) -> tuple[Path, "Register"]:
        """Build the Single Project Register from the store and write it (atomically).

        Without `as_of`, the register is as at today or, for a past period, the due date plus
        the office's chase interval (`default_as_of`); `Register.as_of` says which.
        """
        from etl.cycle.register import build_register, default_as_of, record_register, register_path
        from etl.workbooks.register import write_register

        as_of = as_of or default_as_of(period, self.settings, today)
        portfolio = self.portfolio
        with self.store(must_exist=True) as store:
            built = build_register(portfolio, store, period, as_of, self.settings, record=False)
            # The position is kept only once the workbook is in place: a failed write changes neither.
            path = write_register(built, register_path(self.outputs, period))
            record_register(store, built)
        return path, built

    def scorecard(self, period: Period, kpis: Path | str | None = None, activities: Path | str | None = None,
                  gateway: Path | str | None = None, paper: "PaperDetails | None" = None) -> "ScorecardRun":
        """Rate the KPIs, write the corporate performance report and its committee paper, then
        record the values.

        Priority Activities and Gateway Review commitments come from `activities` / `gateway`
        (a workbook or CSV), else from the sheets of `<inputs>/corporate_plan.xlsx` when it has
        them. Both documents are written first (atomically); the period's values go into the
        store only once they are in place, so a failed run changes neither. Bad input rows do
        not stop the run: they are in `run.problems` (the CLI exits 1).
        """
        from etl.cycle.corporate_plan import load_activities, load_commitments
        from etl.cycle.scorecard import (
            PAPER_NAME, REPORT_NAME, PaperDetails, ScorecardRun, complex_changes, load_kpis, most_complex_projects,
            new_releases, reported_values, score_kpis,
        )
        from etl.documents.committee_paper import write_paper
        from etl.store.kpis import (
            kpi_history, kpi_releases, most_complex_before, record_kpi_releases, record_kpi_values,
            record_most_complex,
        )
        from etl.workbooks.scorecard import write_report

        kpis = Path(kpis) if kpis else self.inputs / "kpis.xlsx"
        if not kpis.exists():
            raise ConfigError(f"{kpis}: KPI sheet not found (put it there, or pass --kpis)")
        loaded = load_kpis(kpis, self.settings.committees)
        problems = [p for k in loaded for p in k.problems]
        plan_activities, plan_commitments = [], []
        source = self._plan_source(activities, "Priority Activities")
        if source is not None:
            plan_activities, found = load_activities(source, self.settings.directorates)
            problems += found
        source = self._plan_source(gateway, "Gateway Review")
        if source is not None:
            plan_commitments, found = load_commitments(source)
            problems += found
        portfolio = self.portfolio
        folder = self.outputs / str(period)
        with self.store() as store:
            scored = score_kpis(loaded, period, kpi_releases(store, period), kpi_history(store, period))
            projects = most_complex_projects(store, portfolio, period)
            changes = complex_changes(projects, portfolio, *most_complex_before(store, period))
            run = ScorecardRun(folder / REPORT_NAME.format(period=period), period, scored, projects, changes,
                               plan_activities, plan_commitments, problems)
            write_report(run.path, run, self.settings)
            run.paper_path = write_paper(folder / PAPER_NAME.format(period=period), run, self.settings,
                                         paper or PaperDetails())
            record_kpi_values(store, period, reported_values(scored))
            record_kpi_releases(store, period, new_releases(scored, period))
            record_most_complex(store, period, {p.project_id: (p.project_name, p.reason) for p in projects})
        return run

    def _plan_source(self, given: Path | str | None, sheet: str) -> Path | None:
        """The file to read a corporate-plan sheet from: the one given (it must exist), else
        `<inputs>/corporate_plan.xlsx` when it has that sheet; None when there is none."""
        from etl.cycle.corporate_plan import PLAN_NAME, has_sheet

        if given is not None:
            if not Path(given).exists():
                raise ConfigError(f"{given}: {sheet} file not found")
            return Path(given)
        default = self.inputs / PLAN_NAME
        return default if default.exists() and has_sheet(default, sheet) else None

    def highlight(self, programme: str, period: Period, overview: Path | str | None = None,
                  overall: str | None = None) -> tuple[Path, "ProgrammeReport"]:
        """A programme's highlight report from its workstreams' accepted returns.

        Without a store every workstream is Missing (one is never created here).
        """
        from etl.cycle.highlight import highlight_path, parse_overall, programme_report, read_overview
        from etl.workbooks.highlight import write_highlight

        portfolio = self.portfolio
        overall_rag = parse_overall(overall)  # fail on a bad --overall before any work
        if overview is not None and not Path(overview).exists():
            raise ConfigError(f"{overview}: overview file not found")
        text = read_overview(overview) if overview else None
        if self.has_store():
            with self.store() as store:
                report = programme_report(portfolio, store, programme, period, overall_rag, text)
        else:
            report = programme_report(portfolio, None, programme, period, overall_rag, text)
        return write_highlight(report, highlight_path(self.outputs, report.programme, period)), report

    def dashboard(self, period: Period, as_of: dt.date) -> tuple[Path, "Dashboard"]:
        """The public Performance Dashboard: `outputs/<period>/dashboard/`, swapped in whole once written.

        The boundary file (`dashboard_boundaries`, relative to the inputs folder; else the
        bundled districts) and the public fields are checked before any work.
        """
        from etl.cycle.boundaries import boundaries_path, load_boundaries
        from etl.cycle.dashboard import build_dashboard, dashboard_folder, public_fields
        from etl.publish.site import write_dashboard

        public_fields(self.settings)
        boundaries = load_boundaries(boundaries_path(self.settings, self.inputs), self.settings)
        portfolio = self.portfolio
        with self.store(must_exist=True) as store:
            built = build_dashboard(portfolio, store, period, as_of, boundaries, self.settings)
        return write_dashboard(built, dashboard_folder(self.outputs, period)), built

    def closedown(self, actions: Path | str, built: dt.date) -> tuple[Path, list["Action"]]:
        """The close-down tracker of an actions sheet, dated `built`."""
        from etl.cycle.closedown import closedown_path, load_actions
        from etl.workbooks.closedown import write_closedown

        loaded = load_actions(actions)
        return write_closedown(loaded, closedown_path(self.outputs, built), built, Path(actions).name), loaded

    def collect(self, period: Period, password: str | None, dry_run: bool = False,
                today: dt.date | None = None, **options) -> "CollectResult":
        """Take the returns e-mailed to the office mailbox, ingest them, and write the validation report.

        A dry run only lists what would be taken: it creates no store and writes nothing.
        `options` go to `etl.mail.inbox.collect_mailbox` (`batch`, `on_batch`).
        """
        from etl.files import check_writable
        from etl.mail.inbox import collect_mailbox

        portfolio = self.portfolio
        if not dry_run:
            check_writable(self.outputs / str(period), "the validation report")
        with self._mail_store(dry_run) as store:
            result = collect_mailbox(period, store, portfolio, self.settings, password, dry_run=dry_run, today=today,
                                     **options)
            if result.ingest is not None:
                self._write_reports(result.ingest, store)
        return result

    # ------------------------------------------------------------------ mail

    def plan_mail(self, kind: str, period: Period, store: "Store", as_of: dt.date | None = None) -> "MailPlan":
        """The send, chase or feedback e-mails for `period` (chase as on `as_of`, default today)."""
        from etl.mail.distribute import plan_chase, plan_feedback, plan_send

        if kind == "send":
            return plan_send(self.outputs, period, self.settings, self.inputs)
        if kind == "chase":
            return plan_chase(self.portfolio, store, period, as_of or dt.date.today(), self.settings, self.inputs,
                              self.outputs)
        if kind == "feedback":
            return plan_feedback(self.portfolio, store, period, self.settings, self.inputs)
        raise ValueError(f"unknown kind of e-mail: {kind}")

    def mail(self, kind: str, period: Period, transport: "Transport", resend: bool = False,
             as_of: dt.date | None = None, on_outcome: Callable[["Outcome"], None] | None = None,
             on_plan: Callable[["MailPlan"], None] | None = None) -> MailRun:
        """Plan, skip what already went (unless `resend`), deliver the rest and log each in the store.

        `on_plan` hears the plan before anything goes (its notes are for the officer);
        `on_outcome` hears every message: the skipped ones first, then each as it goes.
        """
        from etl.mail.distribute import deliver, pending
        from etl.mail.mailer import DryRun

        # A dry run must not even create the store; one that does not exist yet has sent nothing.
        # Chase and feedback read the history: without a store (e.g. a mistyped --db) they would
        # remind every project, so they refuse one that does not exist.
        dry_run = isinstance(transport, DryRun)
        if kind in HISTORY_MAIL:
            self.require_store()
        with self._mail_store(dry_run) as store:
            plan = self.plan_mail(kind, period, store, as_of)
            if on_plan:
                on_plan(plan)
            to_go, skipped = pending(plan, store, resend)
            for outcome in skipped:
                if on_outcome:
                    on_outcome(outcome)
            outcomes = deliver(to_go, transport, store, self.settings, on_outcome=on_outcome, resend=resend)
        return MailRun(plan, to_go, skipped, outcomes)

    def _mail_store(self, dry_run: bool) -> "Store":
        from etl.store.db import Store

        return Store(self.db if self.has_store() or not dry_run else ":memory:")
