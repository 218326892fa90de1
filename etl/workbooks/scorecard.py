"""Write the corporate performance report workbook from a scorecard run.

Sheets: `Summary` (the counts a committee reads first), `Balanced Scorecard` (grouped by
perspective and strategic objective like Appendix 3, with `Direction of Travel`,
`RAG vs Direction`, `RAG vs Target`, where the previous figure came from, whether the data
is new, the comparators and a trend sparkline where history exists), `Red KPIs` (the
exception report with the planned actions), one sheet per thematic committee (its KPI
dashboard and its Red exceptions), `Most Complex Projects` (Appendix 4, with the changes
to the list), `Priority Activities`, `Gateway Review`, `Problems` (every bad input row)
and `RAG Key` (Appendix 5). Sparkline data sits on a hidden sheet. Every format comes from
`etl.workbooks.formats`; ratings are coloured by conditional formats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from etl.rules.dates import uk_date
from etl.rules import kpi_rules, rag
from etl.config import Settings
from etl.rules.periods import Period
from etl.cycle.corporate_plan import activities_by_directorate, rag_counts
from etl.cycle.scorecard import (
    NOT_RATED, ComplexChanges, ComplexProject, ScorecardRun, ScoredKpi, comparison_text,
)
from etl.workbooks.formats import (
    Column, Formats, add_kpi_rating_formats, add_rag_formats, add_text_fills, add_trend_sparklines,
    atomic_workbook, figure_format, fit_row_heights, print_setup, tallest_row, write_table, write_value,
)

SUMMARY_SHEET = "Summary"
SCORECARD_SHEET = "Balanced Scorecard"
RED_SHEET = "Red KPIs"
COMPLEX_SHEET = "Most Complex Projects"
KEY_SHEET = "RAG Key"
ACTIVITIES_SHEET = "Priority Activities"
GATEWAY_SHEET = "Gateway Review"
PROBLEMS_SHEET = "Problems"
OVERDUE = "Overdue"
NO_ACTIONS = "No planned actions"
#: Ratings shown grey: the statuses of KPIs tracked but not rated, and a row with a problem.
GREY_RATINGS = (*kpi_rules.KPI_STATUSES, NOT_RATED)
TREND_DATA_SHEET = "Trend Data"
NO_RETURN = "No return received"
_SHEET_NAME_MAX = 31


def committee_sheet_name(committee: str) -> str:
    """The sheet for a committee: its name, shortened to Excel's 31 characters if need be
    (`Environment and Sustainable Communities` → `Environment & Sust. Communities`)."""
    name = committee
    for long, short in ((" and ", " & "), ("Sustainable", "Sust."), ("Infrastructure", "Infra.")):
        if len(name) <= _SHEET_NAME_MAX:
            break
        name = name.replace(long, short)
    return name[:_SHEET_NAME_MAX]


def committee_title(committee: str) -> str:
    return committee if committee.endswith("Board") else f"{committee} Committee"


def decimals(value: float | None, percent: bool) -> int:
    """Decimal places a figure was typed with (as a percentage when it is one)."""
    if value is None or not math.isfinite(value):
        return 0
    shown = Decimal(kpi_rules.exact(value).numerator) / Decimal(kpi_rules.exact(value).denominator) * (100 if percent else 1)
    return max(0, -shown.normalize().as_tuple().exponent)


@dataclass(frozen=True)
class _Col:
    header: str
    kind: str  # text, wrap, bold, centre, arrow, figure, change, rating, actions, trend
    width: float
    value: Callable[[ScoredKpi], object] = lambda s: None


def _figure_places(s: ScoredKpi) -> int:
    k = s.kpi
    return min(3, max(decimals(v, k.percent) for v in (s.previous, k.current, k.target)))


def _rating_or_note(value: str | None, note: str) -> tuple[object, str]:
    return (value, "rag") if value else (note, "wrap_note")


_OBJECTIVE = _Col("Strategic Objective", "bold", 20, lambda s: s.kpi.objective)
_INDICATOR = _Col("Indicator of Progress", "wrap", 20, lambda s: s.kpi.indicator)
_PERSPECTIVE = _Col("Scorecard Perspective", "wrap", 18, lambda s: s.kpi.perspective)
_METRIC = _Col("Metric", "wrap", 46, lambda s: s.kpi.metric)
_OWNER = _Col("Ownership", "centre", 10, lambda s: s.kpi.ownership)
_COMMITTEE = _Col("Committee", "wrap", 22, lambda s: s.kpi.committee)
_FREQUENCY = _Col("Reporting Period", "centre", 10, lambda s: s.kpi.reporting_period)
_LATEST = _Col("Date of Latest Available Data", "centre", 11, lambda s: s.kpi.latest_data)
_IMPROVE = _Col("Direction for Improvement", "arrow", 11, lambda s: s.kpi.direction)
_PREVIOUS = _Col("Previous Period Performance", "figure", 12, lambda s: s.previous)
_CURRENT = _Col("Current Period Performance", "figure", 12, lambda s: s.kpi.current)
_CHANGE = _Col("Change", "change", 10, lambda s: s.change)
_TARGET = _Col("Target", "figure", 10, lambda s: s.kpi.target)
_TRAVEL = _Col("Direction of Travel", "arrow", 10, lambda s: s.travel)
_RAG_DIRECTION = _Col("RAG vs Direction", "rating", 13, lambda s: _rating_or_note(s.rag_direction, "No previous figure"))
_RAG_TARGET = _Col("RAG vs Target", "rating", 13, lambda s: _rating_or_note(s.rag_target, "No target"))
_TREND = _Col("Trend", "trend", 14)
_ACTIONS = _Col("Planned actions to improve performance", "actions", 40, lambda s: s.kpi.planned_actions)
_ACTION_OWNER = _Col("Action Owner", "wrap", 14, lambda s: s.kpi.action_owner)
_ACTION_DUE = _Col("Action Due", "date", 11, lambda s: s.kpi.action_due)
_FROM = _Col("Previous Figure From", "wrap_note", 14, lambda s: s.previous_from)
_RELEASE = _Col("Data Release", "wrap", 16, lambda s: s.release_note)
_COMPARATORS = _Col("Comparators (gap, better or worse)", "wrap", 26, lambda s: comparison_text(s) or None)

SCORECARD_COLUMNS = (_OBJECTIVE, _INDICATOR, _METRIC, _OWNER, _FREQUENCY, _LATEST, _IMPROVE, _PREVIOUS,
                     _CURRENT, _CHANGE, _TARGET, _TRAVEL, _RAG_DIRECTION, _RAG_TARGET, _TREND, _FROM, _RELEASE,
                     _COMPARATORS)
RED_COLUMNS = (_PERSPECTIVE, _METRIC, _OWNER, _COMMITTEE, _LATEST, _IMPROVE, _PREVIOUS, _CURRENT, _TARGET, _TRAVEL,
               _RAG_DIRECTION, _RAG_TARGET, _RELEASE, _ACTIONS, _ACTION_OWNER, _ACTION_DUE)
DASHBOARD_COLUMNS = (_PERSPECTIVE, _OBJECTIVE, _METRIC, _OWNER, _LATEST, _IMPROVE, _PREVIOUS, _CURRENT, _TARGET,
                     _TRAVEL, _RAG_DIRECTION, _RAG_TARGET, _RELEASE)
# The exception list under a committee's dashboard shares its columns, so widths line up.
EXCEPTION_COLUMNS = DASHBOARD_COLUMNS + (_ACTIONS, _ACTION_OWNER, _ACTION_DUE)

_FORMAT_OF_KIND = {"bold": "wrap_bold", "actions": "input_wrap", "trend": "sparkline_cell"}
class _Writer:
    """Writes KPI tables onto a sheet, keeping track of the rating ranges to colour."""

    def __init__(self, workbook, formats: Formats, period: Period, trend_ranges: dict[str, str]):
        self.workbook = workbook
        self.formats = formats
        self.period = period
        self.trend_ranges = trend_ranges
        self.sparklines: list[tuple[tuple[int, int], str]] = []  # drawn once per sheet by `draw_sparklines`

    def sheet(self, name: str, title: str, subtitle: str, widths: Sequence[float]) -> Worksheet:
        """A sheet with its column widths, the title and the subtitle above its tables."""
        ws = self.workbook.add_worksheet(name)
        ws.hide_gridlines(2)
        for index, width in enumerate(widths):
            ws.set_column(index, index, width)
        ws.write_string(0, 0, title, self.formats["title"])
        ws.set_row(0, 22)
        ws.write_string(1, 0, subtitle, self.formats["subtitle"])
        return ws

    def header(self, ws: Worksheet, row: int, columns: Sequence[_Col]) -> None:
        for index, column in enumerate(columns):
            ws.write_string(row, index, column.header, self.formats["header"])
        ws.set_row(row, 54)

    def kpi_row(self, ws: Worksheet, row: int, columns: Sequence[_Col], s: ScoredKpi,
                blank: Sequence[_Col] = ()) -> None:
        places = _figure_places(s)
        wrapped = []  # (text, width) of the wrapped cells, for the row's height
        for index, column in enumerate(columns):
            value = None if column in blank else column.value(s)
            kind = column.kind
            name = _FORMAT_OF_KIND.get(kind, kind)
            if kind == "figure":
                name = figure_format(places, s.kpi.percent)
            elif kind == "change":
                name = figure_format(places, s.kpi.percent, signed=True)
            elif kind == "rating":
                value, name = value
            elif kind in ("wrap", "bold", "actions") and value is not None:
                # Bold text is wider: count its column as narrower.
                wrapped.append((value, column.width * (0.85 if kind == "bold" else 1)))
            write_value(ws, row, index, value, self.formats[name])
            if kind == "trend" and s.kpi.metric in self.trend_ranges:
                self.sparklines.append(((row, index), self.trend_ranges[s.kpi.metric]))
            if kind == "figure" and column is _PREVIOUS and s.previous_from_history:
                ws.write_comment(row, index, f"Not on the KPI sheet: the figure on record ({s.previous_from}).",
                                 {"x_scale": 1.5})
        ws.set_row(row, tallest_row(wrapped))

    def draw_sparklines(self, ws: Worksheet) -> None:
        add_trend_sparklines(ws, [cell for cell, _ in self.sparklines], [r for _, r in self.sparklines])
        self.sparklines = []

    def colour(self, ws: Worksheet, first_row: int, last_row: int, columns: Sequence[_Col]) -> None:
        for index, column in enumerate(columns):
            if column.kind == "rating":
                add_kpi_rating_formats(ws, self.formats, first_row, index, last_row, index, GREY_RATINGS)

    def table(self, ws: Worksheet, row: int, columns: Sequence[_Col], scored: Sequence[ScoredKpi],
              empty: str) -> int:
        """A header and one row per KPI from `row`; returns the next free row."""
        self.header(ws, row, columns)
        if not scored:
            ws.merge_range(row + 1, 0, row + 1, len(columns) - 1, empty, self.formats["wrap_note"])
            return row + 2
        for offset, s in enumerate(scored, start=1):
            self.kpi_row(ws, row + offset, columns, s)
        self.colour(ws, row + 1, row + len(scored), columns)
        return row + len(scored) + 1


def _write_trend_data(workbook, formats: Formats, trend: Sequence[ScoredKpi]) -> None:
    """A hidden sheet with each KPI's series, one column per period (see `_trend_ranges`)."""
    if not trend:
        return
    ws = workbook.add_worksheet(TREND_DATA_SHEET)
    periods = _trend_periods(trend)
    ws.write_string(0, 0, "Metric", formats["header"])
    for col, period in enumerate(periods, start=1):
        ws.write_string(0, col, period, formats["header"])
    for row, s in enumerate(trend, start=1):
        ws.write_string(row, 0, s.kpi.metric)
        by_period = dict(s.history)
        for col, period in enumerate(periods, start=1):
            write_value(ws, row, col, by_period.get(period))
    ws.hide()


def _trend_periods(trend: Sequence[ScoredKpi]) -> list[str]:
    return sorted({p for s in trend for p, _ in s.history})


def _trend_ranges(trend: Sequence[ScoredKpi]) -> dict[str, str]:
    """Metric → its row of the trend data sheet, for its sparkline."""
    last_col = len(_trend_periods(trend))
    return {
        s.kpi.metric: f"'{TREND_DATA_SHEET}'!{xl_rowcol_to_cell(row, 1)}:{xl_rowcol_to_cell(row, last_col)}"
        for row, s in enumerate(trend, start=1)
    }


def _grouped(scored: Sequence[ScoredKpi]) -> list[tuple[str, list[ScoredKpi]]]:
    """KPIs by perspective, then by strategic objective, each in order of first appearance."""
    groups: dict[str, dict[str, list[ScoredKpi]]] = {}
    for s in scored:
        groups.setdefault(s.kpi.perspective, {}).setdefault(s.kpi.objective, []).append(s)
    return [(p, [s for items in objectives.values() for s in items]) for p, objectives in groups.items()]


def _scorecard_sheet(w: _Writer, scored: Sequence[ScoredKpi], authority: str) -> None:
    columns = SCORECARD_COLUMNS
    ws = w.sheet(
        SCORECARD_SHEET, f"Balanced Scorecard of Corporate Key Performance Indicators — {w.period.label}",
        f"{authority}. RAG vs Direction compares the change since the previous period with the direction for "
        "improvement; RAG vs Target compares performance with the target. See the RAG Key.",
        [c.width for c in columns],
    )
    header_row = 3
    w.header(ws, header_row, columns)
    row = header_row + 1
    first_data = row
    for perspective, items in _grouped(scored):
        ws.merge_range(row, 0, row, len(columns) - 1, perspective, w.formats["section"])
        ws.set_row(row, 18)
        row += 1
        objective = indicator = object()
        for s in items:
            blank = []
            if s.kpi.objective == objective:
                blank.append(_OBJECTIVE)
                if s.kpi.indicator == indicator:
                    blank.append(_INDICATOR)
            objective, indicator = s.kpi.objective, s.kpi.indicator
            w.kpi_row(ws, row, columns, s, blank)
            row += 1
    w.colour(ws, first_data, row - 1, columns)
    w.draw_sparklines(ws)
    ws.freeze_panes(header_row + 1, 3)
    ws.merge_range(row + 1, 0, row + 1, len(columns) - 1,
                   "Trend: each KPI's figures for the periods on record (Excel draws the sparkline).", w.formats["note"])
    print_setup(ws, repeat_rows=(header_row, header_row), period=w.period.label)


def _red_sheet(w: _Writer, scored: Sequence[ScoredKpi]) -> None:
    red = [s for s in scored if s.is_red]
    ws = w.sheet(
        RED_SHEET, f"Red KPIs: exception report — {w.period.label}",
        "Every KPI rated Red against its direction for improvement or its target, escalated to members with the "
        "planned actions to improve performance (to be completed by the KPI owner).",
        [c.width for c in RED_COLUMNS],
    )
    w.table(ws, 3, RED_COLUMNS, red, "No KPI is rated Red this period.")
    ws.freeze_panes(4, 2)
    print_setup(ws, repeat_rows=(3, 3), period=w.period.label)


def _committee_sheet(w: _Writer, committee: str, scored: Sequence[ScoredKpi]) -> None:
    mine = [s for s in scored if s.kpi.committee == committee]
    title = committee_title(committee)
    ws = w.sheet(
        committee_sheet_name(committee), f"{title}: Thematic Performance Report — {w.period.label}",
        f"The KPIs scrutinised by the {title}, and the exception report of its Red KPIs.",
        [c.width for c in EXCEPTION_COLUMNS],
    )
    ws.write_string(3, 0, "KPI dashboard", w.formats["bold"])
    row = w.table(ws, 4, DASHBOARD_COLUMNS, mine, f"No KPI is assigned to the {title}.")
    ws.write_string(row + 1, 0, "Exception report: Red KPIs", w.formats["bold"])
    w.table(ws, row + 2, EXCEPTION_COLUMNS, [s for s in mine if s.is_red], "No Red KPIs this period.")
    print_setup(ws, repeat_rows=None, period=w.period.label)


_COMPLEX_COLUMNS: tuple[tuple[str, str, float, Callable[[ComplexProject], object]], ...] = (
    ("Project/programme", "wrap_bold", 18, lambda p: p.project_name),
    ("Description", "wrap", 30, lambda p: p.description),
    ("RAG", "rag", 11, lambda p: p.rag),
    ("Direction of Travel", "arrow", 10, lambda p: p.travel),
    ("Update/narrative on status", "wrap", 52, lambda p: p.update),
    ("Next key milestone", "wrap", 24, lambda p: p.next_key_milestone),
    ("Milestone date", "date", 11, lambda p: p.next_key_milestone_date),
    ("Outcomes and Impacts", "wrap", 30, lambda p: p.outcomes),
    ("Number 1 risk", "wrap", 30, lambda p: p.top_risk),
    ("Mitigation", "wrap", 30, lambda p: p.mitigation),
    ("Return for", "centre", 15, lambda p: Period.parse(p.return_period).label if p.return_period else None),
    ("Why on the list", "wrap", 24, lambda p: p.reason),
)


def _complex_sheet(w: _Writer, projects: Sequence[ComplexProject], changes: ComplexChanges) -> None:
    ws = w.sheet(
        COMPLEX_SHEET, f"Most Complex Programmes and Projects — {w.period.label}",
        "From each project's latest accepted highlight report up to this period. Direction of travel compares "
        "its RAG with its previous return's.",
        [width for _, _, width, _ in _COMPLEX_COLUMNS],
    )
    f = w.formats
    header_row = 3
    for col, (header, _, _, _) in enumerate(_COMPLEX_COLUMNS):
        ws.write_string(header_row, col, header, f["header"])
    ws.set_row(header_row, 30)
    for row, project in enumerate(projects, start=header_row + 1):
        cells = [(get(project), kind, width) for _, kind, width, get in _COMPLEX_COLUMNS]
        if project.return_period is None:
            cells[4] = (NO_RETURN, "wrap_note", cells[4][2])
        for col, (value, kind, _) in enumerate(cells):
            write_value(ws, row, col, value, f[kind])
        ws.set_row(row, tallest_row([(v, width) for v, kind, width in cells if kind.startswith("wrap")]))
    last = header_row + max(len(projects), 1)
    if not projects:
        ws.write_string(header_row + 1, 0, "No project is flagged Most Complex on the portfolio.", f["wrap_note"])
    add_rag_formats(ws, f, header_row + 1, 2, last, 2)
    _complex_changes(ws, f, last + 2, changes)
    ws.freeze_panes(header_row + 1, 1)
    print_setup(ws, repeat_rows=(header_row, header_row), period=w.period.label)


def _complex_changes(ws: Worksheet, f: Formats, row: int, changes: ComplexChanges) -> None:
    """Below the list: the projects added and removed since the previous report, and why."""
    ws.write_string(row, 0, "Changes to the list since the previous report", f["bold"])
    if changes.previous_period is None:
        ws.write_string(row + 1, 0, "No earlier report on record to compare with.", f["note"])
        return
    since = Period.parse(changes.previous_period).label
    row += 1
    for title, items in (("Added", changes.added), ("Removed", changes.removed)):
        ws.write_string(row, 0, f"{title} since {since}", f["header"])
        ws.write_string(row, 1, "Reason", f["header"])
        row += 1
        if not items:
            ws.write_string(row, 0, "None", f["wrap_note"])
            row += 1
        for item in items:
            ws.write_string(row, 0, item.project_name, f["wrap_bold"])
            ws.write_string(row, 1, item.reason, f["wrap"])
            ws.set_row(row, tallest_row([(item.project_name, 18), (item.reason, 30)]))
            row += 1
        row += 1


def _summary_sheet(w: _Writer, run: ScorecardRun, authority: str) -> None:
    ws = w.sheet(SUMMARY_SHEET, f"Corporate Performance Report — {w.period.label}",
                 f"{authority}. The counts behind each section of this report.", (62, 12))
    ws.write_string(3, 0, "Summary", w.formats["header"])
    ws.write_string(3, 1, "Count", w.formats["header"])
    for row, (what, count) in enumerate(run.summary(), start=4):
        ws.write_string(row, 0, what, w.formats["wrap"])
        ws.write_number(row, 1, count, w.formats["count"])
    flagged = [s.kpi.metric for s in run.red_without_actions]
    row = 5 + len(run.summary())
    if flagged:
        ws.write_string(row, 0, "Red KPIs without planned actions (ask their owners before the meeting):", w.formats["bold"])
        for offset, metric in enumerate(flagged, start=1):
            ws.write_string(row + offset, 0, metric, w.formats["wrap"])
            ws.write_string(row + offset, 1, NO_ACTIONS, w.formats["wrap_note"])
    print_setup(ws, repeat_rows=None, period=w.period.label)


_ACTIVITY_COLUMNS = (
    Column("Business Plan", "business_plan", "wrap", 22),
    Column("Activity", "activity", "wrap", 44),
    Column("Lead", "lead", "wrap", 18),
    Column("Due Date", "due", "date", 11),
    Column("RAG", "rag", "rag", 12),
    Column("Overdue", "overdue", "centre", 9),
    Column("Commentary", "commentary", "wrap", 50),
)


def _activities_sheet(w: _Writer, run: ScorecardRun) -> None:
    f = w.formats
    ws = w.sheet(ACTIVITIES_SHEET, f"Priority Activities — {w.period.label}",
                 "Progress against the priority activities of each directorate's business plan. Overdue: due before "
                 f"{uk_date(w.period.last_day)}, the end of the period.", [c.width for c in _ACTIVITY_COLUMNS])
    counts = rag_counts(run.activities)
    ws.write_string(3, 0, "RAG", f["header"])
    ws.write_string(3, 1, "Activities", f["header"])
    for offset, (rating, count) in enumerate(counts.items(), start=4):
        ws.write_string(offset, 0, rating, f["rag"])
        ws.write_number(offset, 1, count, f["count"])
    add_rag_formats(ws, f, 4, 0, 4 + len(counts), 0)
    row = 5 + len(counts)
    ws.write_string(row, 0, "Overdue", f["bold"])
    ws.write_number(row, 1, len(run.overdue), f["count"])
    row += 2
    if not run.activities:
        ws.write_string(row, 0, "No priority activities were given for this report.", f["wrap_note"])
    as_of = w.period.last_day
    for directorate, items in activities_by_directorate(run.activities):
        ws.merge_range(row, 0, row, len(_ACTIVITY_COLUMNS) - 1, directorate, f["section"])
        records = [a.__dict__ | {"overdue": OVERDUE if a.overdue(as_of) else None} for a in items]
        write_table(ws, f, _ACTIVITY_COLUMNS, records, first_row=row + 1, autofilter=False, freeze=False,
                    rag_last_row=row + 1 + len(records), widths=False)
        fit_row_heights(ws, _ACTIVITY_COLUMNS, records, first_row=row + 2)
        add_text_fills(ws, f, row + 2, 5, row + 1 + len(records), 5, {OVERDUE: ("#FFC7CE", "#9C0006")})
        row += len(records) + 3
    print_setup(ws, repeat_rows=None, period=w.period.label)


_GATEWAY_COLUMNS = (
    Column("Commitment", "commitment", "wrap", 36),
    Column("Theme", "theme", "wrap", 20),
    Column("Evaluation Milestone", "milestone", "wrap", 36),
    Column("Due", "due", "date", 11),
    Column("Status", "status", "wrap", 14),
    Column("Commentary", "commentary", "wrap", 50),
)


def _list_sheet(w: _Writer, name: str, title: str, subtitle: str, columns: Sequence[Column],
                records: list[dict], empty: str) -> None:
    """A sheet holding one list under its title, or a note saying the list is empty."""
    ws = w.sheet(name, f"{title} — {w.period.label}", subtitle, [c.width for c in columns])
    write_table(ws, w.formats, columns, records, first_row=3, widths=False)
    fit_row_heights(ws, columns, records, first_row=4)
    if not records:
        ws.write_string(4, 0, empty, w.formats["wrap_note"])
    print_setup(ws, repeat_rows=(3, 3), period=w.period.label)


def _gateway_sheet(w: _Writer, run: ScorecardRun) -> None:
    _list_sheet(w, GATEWAY_SHEET, "Original Devolution Deal: Investment Fund Gateway Review",
                "The devolution-deal commitments evaluated for the Gateway Review, and their evaluation milestones.",
                _GATEWAY_COLUMNS, [c.__dict__ for c in run.commitments],
                "No Gateway Review commitments were given for this report.")


_PROBLEM_COLUMNS = (
    Column("File", "file", "wrap", 22),
    Column("Sheet", "sheet", "text", 18),
    Column("Row", "row", "count", 7),
    Column("Column", "field", "wrap", 22),
    Column("Cell", "cell", "centre", 8),
    Column("Value", "value", "wrap", 20),
    Column("Problem", "message", "wrap", 70),
    Column("Code", "code", "text", 16),
)


def _problems_sheet(w: _Writer, run: ScorecardRun) -> None:
    _list_sheet(w, PROBLEMS_SHEET, "Problems in the inputs",
                "Each row here was set aside (a KPI is shown Not rated); fix it in the input and run the report again.",
                _PROBLEM_COLUMNS,
                [p.__dict__ | {"value": None if p.value is None else str(p.value)} for p in run.problems],
                "No problems: every input row was used.")


def _key_sheet(w: _Writer) -> None:
    ws = w.sheet(
        KEY_SHEET, "RAG Key: KPI RAG rating categories",
        "Appendix 5 of the Performance Management Framework; project ratings as in the highlight reports.",
        (18, 100),
    )
    f = w.formats
    row = 3
    tables = (
        ("RAG rating compared to Direction for Improvement", kpi_rules.KPI_DIRECTION_DEFINITIONS, "kpi"),
        ("RAG rating compared to Target", kpi_rules.KPI_TARGET_DEFINITIONS, "kpi"),
        ("Project RAG (Most Complex Projects)", rag.RAG_DEFINITIONS, "project"),
    )
    for heading, definitions, scale in tables:
        ws.merge_range(row, 0, row, 1, heading, f["subsection"])
        ws.write_string(row + 1, 0, "RAG rating", f["header"])
        ws.write_string(row + 1, 1, "Description", f["header"])
        first = row + 2
        for offset, (rating, text) in enumerate(definitions.items()):
            ws.write_string(first + offset, 0, rating, f["rag"])
            ws.write_string(first + offset, 1, text, f["wrap"])
            ws.set_row(first + offset, tallest_row([(text, 100)]))
        last = first + len(definitions) - 1
        if scale == "kpi":
            add_kpi_rating_formats(ws, f, first, 0, last, 0, kpi_rules.KPI_STATUSES)
        else:
            add_rag_formats(ws, f, first, 0, last, 0)
        row = last + 2
    print_setup(ws, repeat_rows=None, period=w.period.label)


def write_report(path: Path | str, run: ScorecardRun, settings: Settings | None = None) -> Path:
    """Write the corporate performance report (atomically: complete, or not at all)."""
    settings = settings or Settings()
    period, scored = run.period, run.scored
    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({
            "title": f"Corporate performance report {period.label}",
            "company": settings.authority_name,
        })
        # The hidden data sheet goes last, but the sparklines need its ranges first.
        trend = [s for s in scored if s.has_trend]
        writer = _Writer(workbook, formats, period, _trend_ranges(trend))
        _summary_sheet(writer, run, settings.authority_name)
        _scorecard_sheet(writer, scored, settings.authority_name)
        _red_sheet(writer, scored)
        for committee in settings.committees:
            _committee_sheet(writer, committee, scored)
        _complex_sheet(writer, run.projects, run.changes)
        _activities_sheet(writer, run)
        _gateway_sheet(writer, run)
        _problems_sheet(writer, run)
        _key_sheet(writer)
        _write_trend_data(workbook, formats, trend)
    return Path(path)
