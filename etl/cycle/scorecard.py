"""The corporate scorecard: load the KPI sheet, rate each KPI by data release, keep the history.

`load_kpis` reads `inputs/kpis.xlsx` (sheet `KPIs`) or a `.csv` with the same headers. A
sheet that cannot be used (missing columns, no KPIs) raises `KpiError` (exit 2); a row
with a problem is kept, carrying its `Problem`s, and is shown "Not rated" with the reason
while the rest of the report is built (the run then exits 1).

`score_kpis` applies the rules of `etl.rules.kpi_rules` (Appendix 5) per data release (the
`Date of Latest Available Data`): a KPI whose data date and figure have not moved since an
earlier report keeps that release's ratings and is marked "No new data since <report>";
a new release is compared with the release reported before it. A previous figure typed on
the sheet wins over history, and each rated KPI says where its previous figure came from.
The store's side is `etl.store.kpis`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from etl.rules import kpi_rules, rag
from etl.rules import values
from etl.errors import KpiError, Problem
from etl.rules.periods import Period
from etl.store.db import Store
from etl.store.kpis import Release, ReportedValue
from etl.rules.dates import stored_date
from etl.contracts.tables import read_table, table_problems

#: Where the corporate performance report goes, under `<outputs>/<period>/`.
REPORT_NAME = "corporate_performance_report_{period}.xlsx"
#: The committee paper beside it.
PAPER_NAME = "corporate_performance_report_{period}.docx"

NOT_RATED = "Not rated"
#: Where a previous figure typed on the KPI sheet came from.
FROM_SHEET = "KPI sheet"
NEW_DATA, REVISED = "New data", "Revised figure"


@dataclass(frozen=True)
class Comparator:
    """A figure to compare a KPI with: England, a Mayoral CA average, statistical neighbours…"""

    name: str
    value: float


@dataclass(frozen=True)
class Comparison:
    """A KPI against one comparator: the gap (current minus comparator) and Better/Worse/Level."""

    comparator: Comparator
    gap: float | None
    verdict: str | None


@dataclass(frozen=True)
class Kpi:
    """One line of the KPI sheet, typed. A row with `problems` is listed but not rated."""

    row: int
    perspective: str
    objective: str
    indicator: str | None
    metric: str
    ownership: str | None
    reporting_period: str | None
    latest_data: str | None
    direction: str | None  # ↑ or ↓ (None only on a row with problems)
    previous: float | None
    current: float | None
    target: float | None
    status: str | None  # None, or one of kpi_rules.KPI_STATUSES
    committee: str | None
    percent: bool = False  # figures are percentages (typed as `62.6%` or formatted as %)
    planned_actions: str | None = None
    action_owner: str | None = None
    action_due: dt.date | None = None
    comparators: tuple[Comparator, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ScoredKpi:
    """A KPI with its previous figure (from the sheet or from an earlier release) and its ratings."""

    kpi: Kpi
    previous: float | None
    #: Where the previous figure came from: FROM_SHEET, a release on record, or None.
    previous_from: str | None
    travel: str | None
    rag_direction: str | None
    rag_target: str | None
    #: (period, value) for the report periods on record before this one, then this period.
    history: tuple[tuple[str, float | None], ...] = ()
    #: The report period that first showed this data release, when it has not moved since.
    no_new_data_since: str | None = None
    #: The data date is the same as an earlier report's but the figure changed.
    revised: bool = False

    @property
    def previous_from_history(self) -> bool:
        return self.previous_from is not None and self.previous_from != FROM_SHEET

    @property
    def rated(self) -> bool:
        return not self.kpi.problems

    @property
    def not_rated_reason(self) -> str | None:
        return "; ".join(p.message for p in self.kpi.problems) or None

    @property
    def release_note(self) -> str:
        """What the scorecard says about the data: new, revised, no new data since…, or not rated."""
        if not self.rated:
            return f"{NOT_RATED}: {self.not_rated_reason}"
        if self.no_new_data_since:
            return f"No new data since {Period.parse(self.no_new_data_since).label}"
        return REVISED if self.revised else NEW_DATA

    @property
    def change(self) -> float | None:
        if self.kpi.current is None or self.previous is None:
            return None
        return float(kpi_rules.exact(self.kpi.current) - kpi_rules.exact(self.previous))

    @property
    def is_red(self) -> bool:
        return rag.RED in (self.rag_direction, self.rag_target)

    @property
    def has_trend(self) -> bool:
        """A sparkline needs at least one earlier period on record."""
        return len(self.history) >= 2

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(Comparison(c, *kpi_rules.compare_with(self.kpi.current, c.value, self.kpi.direction))
                     for c in self.kpi.comparators)

    @property
    def release_key(self) -> str:
        return release_key(self.kpi)


# ----------------------------------------------------------------------------- loading


def _latest_data_text(value: object) -> str | None:
    # Excel turns a typed "Apr-23" into a date; show it as Excel did.
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value:%b-%y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed as a number
    return values.clean_text(value)


def _percent_rows_from_formats(path: Path, letters: dict[str, str]) -> set[int]:
    """Rows whose figure cells are numbers formatted as percentages in the workbook."""
    from openpyxl import load_workbook
    from openpyxl.utils import column_index_from_string

    from schemas.kpi import FIGURES, SHEET

    book = load_workbook(path, read_only=True)
    try:
        name = next(n for n in book.sheetnames if n.strip().casefold() == SHEET.casefold())
        columns = [column_index_from_string(letters[f]) for f in FIGURES if f in letters]
        rows: set[int] = set()
        # Only the figure columns: building cells is most of the cost of reading a sheet.
        first, last = min(columns), max(columns)
        wanted = [c - first for c in columns]
        for number, cells in enumerate(book[name].iter_rows(min_col=first, max_col=last), start=1):
            for index in wanted:
                if index < len(cells) and "%" in str(getattr(cells[index], "number_format", "") or ""):
                    rows.add(number)
        return rows
    finally:
        book.close()


def _figure(value: object) -> float | None:
    """A figure as the float nearest the decimal it shows to 12 significant digits, so a
    figure Excel computed (0.1 + 0.2) is taken as the 0.3 on screen."""
    number = values.parse_number(value)
    return None if number is None else float(kpi_rules.exact(number))


def lenient(parser: Callable[[object], object], value: object) -> object:
    """The parsed value, or None where it does not parse (its problem is already reported)."""
    try:
        return parser(value)
    except ValueError:
        return None


def _comparators(record: dict) -> tuple[Comparator, ...]:
    from schemas.kpi import COMPARATOR_FIELDS

    found = []
    for name_field, value_field in COMPARATOR_FIELDS:
        name, value = values.clean_text(record[name_field]), lenient(_figure, record[value_field])
        if name is not None and value is not None:
            found.append(Comparator(name, value))
    return tuple(found)


def load_kpis(path: Path | str, committees: Sequence[str] | None = None) -> list[Kpi]:
    """The KPIs, in the sheet's order, each with the problems of its row (none on a good row).

    Raises `KpiError` only when the sheet as a whole cannot be used."""
    from schemas.kpi import COMMITTEES, FIGURES, HEADERS, OPTIONAL_HEADERS, SHEET, build_schema, messages
    from schemas.kpi import normalise_committee, normalise_status

    committees = tuple(committees or COMMITTEES)
    path = Path(path)
    raw, letters = read_table(path, SHEET, HEADERS, optional=OPTIONAL_HEADERS)
    if raw.empty:
        raise KpiError(f"{path}: the KPI sheet has no KPIs")
    problems = table_problems(build_schema(committees), raw, path, HEADERS, letters, messages(committees))
    by_row: dict[int, list[Problem]] = {}
    for problem in problems:
        by_row.setdefault(int(problem.row), []).append(problem)
    formatted = _percent_rows_from_formats(path, letters) if path.suffix.lower() in (".xlsx", ".xlsm") else set()
    kpis = []
    for number, record in zip(raw.index, raw.to_dict("records")):
        typed_percent = any(isinstance(record[f], str) and record[f].strip().endswith("%") for f in FIGURES)
        text = {k: values.clean_text(record[k]) for k in
                ("perspective", "objective", "indicator", "metric", "ownership", "reporting_period",
                 "planned_actions", "action_owner")}
        text["perspective"] = text["perspective"] or "(no perspective)"
        text["objective"] = text["objective"] or "(no strategic objective)"
        text["metric"] = text["metric"] or f"(row {number}: no metric)"
        kpis.append(
            Kpi(
                row=int(number),
                **text,
                latest_data=_latest_data_text(record["latest_data"]),
                direction=lenient(kpi_rules.normalise_direction, record["direction"]),
                previous=lenient(_figure, record["previous"]),
                current=lenient(_figure, record["current"]),
                target=lenient(_figure, record["target"]),
                status=lenient(normalise_status, record["status"]),
                committee=lenient(lambda v: normalise_committee(v, committees), record["committee"]),
                percent=typed_percent or int(number) in formatted,
                action_due=lenient(values.parse_date, record["action_due"]),
                comparators=_comparators(record),
                problems=tuple(by_row.get(int(number), ())),
            )
        )
    return kpis


# ----------------------------------------------------------------------------- scoring


def release_key(kpi: Kpi, period: Period | str | None = None) -> str:
    """The data release a KPI's figure belongs to: its `Date of Latest Available Data`; with
    none given, each report is a release of its own."""
    if kpi.latest_data:
        return kpi.latest_data
    return f"report {period}" if period is not None else ""


def _release_label(release: Release) -> str:
    reported = Period.parse(release.first_period).label
    if release.data_date.startswith("report "):
        return f"figure reported {reported}"
    return f"{release.data_date} data, reported {reported}"


def _same_figure(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return kpi_rules.exact(a) == kpi_rules.exact(b)


def score_kpi(
    kpi: Kpi,
    period: Period | str,
    releases: Sequence[Release] = (),
    earlier: Sequence[tuple[str, float | None]] = (),
) -> ScoredKpi:
    """Rate one KPI. `releases` are its data releases first reported before this period
    (oldest first); `earlier` its reported values per period, for the trend."""
    period = str(period)
    history = tuple(earlier) + ((period, kpi.current),) if earlier else ()
    if kpi.problems:
        return ScoredKpi(kpi, kpi.previous, None, None, NOT_RATED, NOT_RATED, history)
    key = release_key(kpi, period)
    same = next((r for r in reversed(releases) if r.data_date == key), None)
    unchanged = same is not None and _same_figure(same.value, kpi.current)
    stale_since = same.first_period if unchanged else None
    if unchanged and kpi.previous is None and kpi.status == same.status:
        # The data has not moved: the KPI has neither improved nor worsened; it keeps its ratings.
        kept_from = same.previous_from
        if kept_from == FROM_SHEET:
            kept_from = f"KPI sheet of the {Period.parse(same.first_period).label} report"
        return ScoredKpi(
            kpi, same.previous_value, kept_from,
            kpi_rules.kpi_direction_of_travel(kpi.current, same.previous_value),
            same.rag_direction, same.rag_target, history, no_new_data_since=stale_since,
        )
    previous, previous_from = kpi.previous, FROM_SHEET if kpi.previous is not None else None
    if previous is None:
        # A revised figure compares with the release before the one it revises.
        cutoff = same.first_period if same is not None else period
        prior = [r for r in releases if r.data_date != key and r.first_period < cutoff and r.value is not None]
        if prior:
            previous, previous_from = prior[-1].value, _release_label(prior[-1])
    rag_direction, rag_target = kpi_rules.kpi_ratings(kpi.current, previous, kpi.target, kpi.direction, kpi.status)
    return ScoredKpi(
        kpi, previous, previous_from, kpi_rules.kpi_direction_of_travel(kpi.current, previous),
        rag_direction, rag_target, history, no_new_data_since=stale_since, revised=same is not None and not unchanged,
    )


def score_kpis(
    kpis: Sequence[Kpi],
    period: Period | str,
    releases: dict[str, list[Release]] | None = None,
    history: dict[str, list[tuple[str, float | None]]] | None = None,
) -> list[ScoredKpi]:
    releases, history = releases or {}, history or {}
    return [score_kpi(k, period, releases.get(k.metric, ()), history.get(k.metric, ())) for k in kpis]


def reported_values(scored: Sequence[ScoredKpi]) -> list[ReportedValue]:
    """What this report showed for each rated KPI, for `kpi_values`."""
    return [ReportedValue(s.kpi.metric, s.kpi.current, s.previous, s.kpi.target, s.kpi.status, s.rag_direction,
                          s.rag_target) for s in scored if s.rated]


def new_releases(scored: Sequence[ScoredKpi], period: Period | str) -> list[Release]:
    """The releases this report rated (new or revised ones; not those with no new data)."""
    return [
        Release(s.kpi.metric, release_key(s.kpi, period), s.kpi.current, s.previous, s.previous_from, s.kpi.target,
                s.kpi.status, s.rag_direction, s.rag_target, str(period))
        for s in scored if s.rated and not s.no_new_data_since
    ]


# ----------------------------------------------------------------------------- most complex projects


@dataclass(frozen=True)
class ComplexProject:
    """One line of Appendix 4: a Most Complex project and what its latest return says."""

    project_id: str
    project_name: str
    return_period: str | None = None  # None: no accepted return on record
    description: str | None = None
    rag: str | None = None
    travel: str | None = None
    update: str | None = None
    next_key_milestone: str | None = None
    next_key_milestone_date: dt.date | None = None
    outcomes: str | None = None
    top_risk: str | None = None
    mitigation: str | None = None
    #: Why it is on the list (the portfolio's `Most Complex Reason`).
    reason: str | None = None


def most_complex_projects(store: Store, portfolio: pd.DataFrame, period: Period | str) -> list[ComplexProject]:
    """Every project flagged Most Complex, in portfolio order, from its latest accepted return
    up to this period; a project with no return on record is listed as such."""
    flagged = portfolio[portfolio["most_complex"]]
    latest = store.latest_returns(up_to=period)
    out = []
    for project_id, project in flagged.iterrows():
        found = latest.get(str(project_id))
        reason = project.get("most_complex_reason")
        if found is None:
            out.append(ComplexProject(str(project_id), project["project_name"], reason=reason))
            continue
        previous = store.previous_rag(str(project_id), found["period"]) or found.get("rag_previous")
        out.append(
            ComplexProject(
                project_id=str(project_id),
                project_name=project["project_name"],
                return_period=found["period"],
                description=found.get("project_description"),
                rag=found.get("rag_this_period"),
                travel=rag.direction_of_travel(found.get("rag_this_period"), previous),
                update=found.get("pm_update"),
                next_key_milestone=found.get("next_key_milestone"),
                next_key_milestone_date=stored_date(found.get("next_key_milestone_date")),
                outcomes=found.get("outcomes_and_impacts") or found.get("project_outcomes"),
                top_risk=found.get("top_risk"),
                mitigation=found.get("top_risk_mitigation"),
                reason=reason,
            )
        )
    return out


@dataclass(frozen=True)
class ListChange:
    """A project added to or removed from the Most Complex list since the previous report, and why."""

    project_id: str
    project_name: str
    reason: str


@dataclass(frozen=True)
class ComplexChanges:
    """How the Most Complex list differs from the previous report's (None: no report before)."""

    previous_period: str | None
    added: tuple[ListChange, ...] = ()
    removed: tuple[ListChange, ...] = ()


def complex_changes(
    projects: Sequence[ComplexProject], portfolio: pd.DataFrame, previous_period: str | None,
    previous: dict[str, tuple[str | None, str | None]],
) -> ComplexChanges:
    """Which projects joined or left the list since the previous report, with the portfolio's reason."""
    if previous_period is None:
        return ComplexChanges(None)
    now = {p.project_id: p for p in projects}
    added = tuple(
        ListChange(p.project_id, p.project_name, p.reason or "Flagged Most Complex on the portfolio (no reason recorded)")
        for p in projects if p.project_id not in previous
    )
    removed = []
    for project_id, (name, _) in previous.items():
        if project_id in now:
            continue
        if project_id not in portfolio.index:
            why = "No longer on the portfolio"
        elif portfolio.at[project_id, "stage"] == "Closed":
            why = "Project closed"
        else:
            why = "No longer flagged Most Complex on the portfolio"
        removed.append(ListChange(project_id, name or project_id, why))
    return ComplexChanges(previous_period, added, tuple(removed))


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class PaperDetails:
    """The committee paper's cover; blank ones come from the settings (meeting, author) or
    today (date)."""

    meeting: str | None = None
    meeting_date: dt.date | None = None
    author: str | None = None


@dataclass
class ScorecardRun:
    """What a scorecard run produced, for the CLI's summary."""

    path: Path
    period: Period
    scored: list[ScoredKpi]
    projects: list[ComplexProject]
    changes: ComplexChanges = field(default_factory=lambda: ComplexChanges(None))
    activities: list = field(default_factory=list)
    commitments: list = field(default_factory=list)
    #: Every problem found in the inputs (KPI rows, activities, commitments); the run exits 1.
    problems: list[Problem] = field(default_factory=list)
    paper_path: Path | None = None

    @property
    def red(self) -> list[ScoredKpi]:
        return [s for s in self.scored if s.is_red]

    @property
    def red_without_actions(self) -> list[ScoredKpi]:
        return [s for s in self.red if not s.kpi.planned_actions]

    @property
    def no_new_data(self) -> list[ScoredKpi]:
        return [s for s in self.scored if s.no_new_data_since]

    @property
    def not_rated(self) -> list[ScoredKpi]:
        return [s for s in self.scored if not s.rated]

    @property
    def counts(self) -> dict[str, int]:
        """How many KPIs have each rating against their direction for improvement."""
        counts: dict[str, int] = {}
        for s in self.scored:
            key = s.rag_direction or NOT_RATED
            counts[key] = counts.get(key, 0) + 1
        return counts

    @property
    def overdue(self) -> list:
        """Priority activities due before the end of the reporting period."""
        return [a for a in self.activities if a.overdue(self.period.last_day)]

    def summary(self) -> list[tuple[str, int]]:
        """The counts a committee reads first, as (what, how many), for the workbook and the paper."""
        by_direction = self.counts
        rows = [("KPIs on the scorecard", len(self.scored))]
        rows += [(f"RAG vs Direction: {r}", by_direction.get(r, 0))
                 for r in (*kpi_rules.KPI_RAG_SCALE, *kpi_rules.KPI_STATUSES) if by_direction.get(r)]
        rows += [
            ("Red KPIs (against direction or target)", len(self.red)),
            ("Red KPIs without planned actions", len(self.red_without_actions)),
            ("KPIs with no new data since an earlier report (ratings kept)", len(self.no_new_data)),
            ("KPIs not rated (a problem in their row)", len(self.not_rated)),
            ("Most Complex projects", len(self.projects)),
            ("Added to the Most Complex list since the previous report", len(self.changes.added)),
            ("Removed from the Most Complex list since the previous report", len(self.changes.removed)),
            ("Priority activities", len(self.activities)),
            ("Priority activities overdue", len(self.overdue)),
            ("Gateway Review commitments", len(self.commitments)),
            ("Problems in the inputs (see Problems)", len(self.problems)),
        ]
        return rows


# ----------------------------------------------------------------------------- words for both layouts


def figure_text(value: float | None, percent: bool, places: int | None = None, signed: bool = False) -> str:
    """A KPI figure as words for a sentence or a Word table: `67.5%`, `516,000`, `+2.1 pts`."""
    if value is None:
        return ""
    places = (1 if percent else 2) if places is None else places
    sign = "+" if signed else ""
    if percent:
        return f"{value * 100:{sign}.{places}f}{' pts' if signed else '%'}"
    shown = f"{value:{sign},.{places}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def comparison_text(s: ScoredKpi) -> str:
    """Each comparator on a line: `England: 72.0% (gap -4.5 pts, Worse)`."""
    lines = []
    for c in s.comparisons:
        line = f"{c.comparator.name}: {figure_text(c.comparator.value, s.kpi.percent)}"
        if c.verdict:
            line += f" (gap {figure_text(c.gap, s.kpi.percent, signed=True)}, {c.verdict})"
        lines.append(line)
    return "\n".join(lines)


def actions_text(s: ScoredKpi) -> str | None:
    """The planned actions with their owner and due date, as one text; None when there are none."""
    from etl.rules.dates import uk_date

    k = s.kpi
    if not (k.planned_actions or k.action_owner or k.action_due):
        return None
    parts = [k.planned_actions or "(no actions given)"]
    if k.action_owner or k.action_due:
        parts.append(" — ".join(x for x in (f"Owner: {k.action_owner}" if k.action_owner else "",
                                              f"Due: {uk_date(k.action_due)}" if k.action_due else "") if x))
    return "\n".join(parts)
