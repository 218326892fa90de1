"""The corporate performance report as a council committee paper (Word, via python-docx).

`write_paper(path, run, settings, details)` writes
`outputs/<YYYY-MM>/corporate_performance_report_<YYYY-MM>.docx`: a cover (meeting, date,
author), purpose, summary counts, the balanced scorecard, the Red KPI exceptions with
their planned actions (by committee), the Most Complex projects and the changes to the
list, Priority Activities, the Investment Fund Gateway Review and a RAG key. Every RAG
cell is coloured AND says its rating in words, so the paper reads the same printed in
black and white. Text from the inputs is set as text runs (Word has no formulas to fear).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import parse_xml
from docx.shared import Cm, Pt, RGBColor

from etl.config import Settings
from etl.cycle.corporate_plan import activities_by_directorate, rag_counts
from etl.cycle.scorecard import (
    NOT_RATED, PaperDetails, ScorecardRun, ScoredKpi, actions_text, comparison_text, figure_text,
)
from etl.files import atomic_path
from etl.rules import kpi_rules, rag
from etl.rules.dates import day_month_year, uk_date
from etl.workbooks.formats import KPI_STATUS_COLOURS, NAVY, RAG_COLOURS

FONT = "Arial"
_TABLE_FONT = Pt(8)
_GREY = (*kpi_rules.KPI_STATUSES, NOT_RATED)


# ----------------------------------------------------------------------------- table rows as XML
# A scorecard of 1,000 KPIs is ~10,000 cells: python-docx's cell-by-cell API (add_row,
# merge, run.font) spends ~0.5 ms a cell re-walking the table, so each row is written here
# as WordprocessingML text (the same elements python-docx would make) and parsed once.

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TABLE_SIZE = int(_TABLE_FONT.pt * 2)  # w:sz is in half-points
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML: dropped


@dataclass(frozen=True)
class _Cell:
    """One table cell: its text and how it looks."""

    text: object = None
    fill: str | None = None
    colour: str | None = None
    bold: bool = False
    italic: bool = False
    span: int = 1


def _rag_cell(rating: str | None) -> _Cell:
    """A RAG cell: the rating in words, bold, on its colour (so it reads in black and white too)."""
    if not rating:
        return _Cell()
    if rating in RAG_COLOURS:
        fill, font = RAG_COLOURS[rating]
    elif rating in _GREY:
        fill, font = KPI_STATUS_COLOURS
    else:
        fill, font = None, None
    return _Cell(rating, fill, font, bold=True)


def _cell_xml(cell: _Cell, width: int) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if cell.span > 1:
        props += f'<w:gridSpan w:val="{cell.span}"/>'
    if cell.fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.fill.lstrip("#")}"/>'
    # Run properties in the schema's order: b, i, color, sz.
    run = ("<w:b/>" if cell.bold else "") + ("<w:i/>" if cell.italic else "")
    if cell.colour:
        run += f'<w:color w:val="{cell.colour.lstrip("#")}"/>'
    run = f'<w:rPr>{run}<w:sz w:val="{_TABLE_SIZE}"/></w:rPr>'
    text = "" if cell.text is None else _CONTROL.sub("", str(cell.text))
    lines = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n"))
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r>{run}{lines}</w:r></w:p></w:tc>"


class _Table:
    """A Word table filled row by row; plain values are plain text cells."""

    def __init__(self, doc, headers: Sequence[str], widths_cm: Sequence[float], header: bool = True):
        self.table = doc.add_table(rows=0, cols=len(widths_cm))
        self.table.style = "Table Grid"
        self.table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self.widths = [int(Cm(w).twips) for w in widths_cm]
        for column, width in zip(self.table.columns, widths_cm):
            column.width = Cm(width)
        if header:
            # Repeat the header row on every page the table runs over.
            self.row([_Cell(h, NAVY, "#FFFFFF", bold=True) for h in headers], '<w:trPr><w:tblHeader/></w:trPr>')

    def row(self, values: Sequence[object], row_properties: str = "") -> None:
        cells, column = [], 0
        for value in values:
            cell = value if isinstance(value, _Cell) else _Cell(value)
            cells.append(_cell_xml(cell, sum(self.widths[column:column + cell.span])))
            column += cell.span
        self.table._tbl.append(parse_xml(f'<w:tr xmlns:w="{_W}">{row_properties}{"".join(cells)}</w:tr>'))

    def heading(self, text: str) -> None:
        """A row across the whole table: a group's name (e.g. a scorecard perspective)."""
        self.row([_Cell(text, "#D9E1F2", bold=True, span=len(self.widths))])


def _note(doc, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.size = Pt(9)


# ----------------------------------------------------------------------------- sections


def _cover(doc, run: ScorecardRun, settings: Settings, details: PaperDetails) -> None:
    doc.add_paragraph(settings.authority_name).runs[0].bold = True
    doc.add_heading(f"Corporate Performance Report: {run.period.label}", level=0)
    table = _Table(doc, (), (5.0, 13.4), header=False)
    meeting_date = details.meeting_date or dt.date.today()
    for label, value in (
        ("Meeting", details.meeting or settings.paper_meeting),
        ("Date", day_month_year(meeting_date)),
        ("Report by", details.author or settings.paper_author),
        ("Reporting period", run.period.label),
    ):
        table.row([_Cell(label, "#D9E1F2", bold=True), value])


def _purpose(doc, run: ScorecardRun) -> None:
    doc.add_heading("1. Purpose", level=1)
    doc.add_paragraph(
        f"This report sets out the Combined Authority's corporate performance for {run.period.label}, as the "
        "Performance Management Framework asks: the Balanced Scorecard of corporate key performance indicators, "
        "the Most Complex Programmes and Projects, progress on the directorates' Priority Activities and the "
        "Original Devolution Deal through the Investment Fund Gateway Review. KPIs rated Red are escalated with "
        "a summary of the actions planned to improve performance."
    )
    doc.add_paragraph(
        "A KPI is rated when its data is released. Where no new data has been released since an earlier report, "
        "the KPI keeps the ratings that data was given and is marked \u201cNo new data since\u201d that report."
    )


def _summary(doc, run: ScorecardRun) -> None:
    doc.add_heading("2. Summary", level=1)
    table = _Table(doc, ("Summary", "Count"), (13, 2.5))
    for what, count in run.summary():
        table.row((what, count))
    if run.red_without_actions:
        doc.add_paragraph()
        paragraph = doc.add_paragraph()
        flag = paragraph.add_run(f"{len(run.red_without_actions)} Red KPI(s) have no planned actions: ")
        flag.bold = True
        flag.font.color.rgb = RGBColor.from_string("C00000")
        paragraph.add_run("; ".join(s.kpi.metric for s in run.red_without_actions) + ".")


def _figure(s: ScoredKpi, value: float | None) -> str:
    return figure_text(value, s.kpi.percent)


_SCORECARD_HEADERS = ("Metric", "Latest data", "Previous", "Current", "Target", "Travel", "RAG vs Direction",
                      "RAG vs Target", "Data and comparators")
_SCORECARD_WIDTHS = (6.4, 1.8, 2.0, 2.0, 1.8, 1.6, 2.3, 2.3, 7.0)  # landscape: 27.2 cm


def _page_section(doc, landscape: bool) -> None:
    """Start a new page, A4 landscape (for the wide scorecard) or portrait, with narrow margins."""
    section = doc.add_section(WD_SECTION.NEW_PAGE) if doc.paragraphs else doc.sections[0]
    long, short = Cm(29.7), Cm(21.0)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.27))  # Word's "narrow"


def _scorecard(doc, run: ScorecardRun) -> None:
    _page_section(doc, landscape=True)
    doc.add_heading("3. Balanced Scorecard", level=1)
    _note(doc, "RAG vs Direction compares the change since the previous data release with the direction for "
               "improvement (\u2191 higher is better, \u2193 lower is better); RAG vs Target compares performance "
               "with the target. Each rating is written in words as well as coloured.")
    table = _Table(doc, _SCORECARD_HEADERS, _SCORECARD_WIDTHS)
    perspective = None
    for s in run.scored:
        if s.kpi.perspective != perspective:
            perspective = s.kpi.perspective
            table.heading(perspective)
        note = s.release_note
        if s.previous_from_history:
            note += f"\nPrevious: {s.previous_from}"
        if s.kpi.comparators:
            note += "\n" + comparison_text(s)
        table.row((f"{s.kpi.metric} ({s.kpi.direction or '?'})", s.kpi.latest_data, _figure(s, s.previous),
                   _figure(s, s.kpi.current), _figure(s, s.kpi.target), s.travel,
                   _rag_cell(s.rag_direction or "No previous figure"), _rag_cell(s.rag_target or "No target"), note))


def _exceptions(doc, run: ScorecardRun, settings: Settings) -> None:
    _page_section(doc, landscape=False)
    doc.add_heading("4. Red KPIs: exceptions and planned actions", level=1)
    if not run.red:
        doc.add_paragraph("No KPI is rated Red this period.")
        return
    groups = [(f"{c} Committee" if not c.endswith("Board") else c, [s for s in run.red if s.kpi.committee == c])
              for c in settings.committees]
    groups.append(("Not assigned to a thematic committee", [s for s in run.red if s.kpi.committee is None]))
    for title, red in groups:
        if not red:
            continue
        doc.add_heading(title, level=2)
        table = _Table(doc, ("Metric", "Current", "RAG vs Direction", "RAG vs Target", "Planned actions"),
                       (5.2, 1.8, 2.1, 2.1, 7.2))
        for s in red:
            actions = actions_text(s) or _Cell("No planned actions given: to be provided by the KPI owner",
                                               colour="#C00000", bold=True)
            table.row((s.kpi.metric, _figure(s, s.kpi.current), _rag_cell(s.rag_direction), _rag_cell(s.rag_target),
                       actions))


def _most_complex(doc, run: ScorecardRun) -> None:
    doc.add_heading("5. Most Complex Programmes and Projects", level=1)
    table = _Table(doc, ("Project", "RAG", "Travel", "Next key milestone", "Why on the list"), (4.4, 2.2, 1.4, 5.0, 5.4))
    for p in run.projects:
        milestone = p.next_key_milestone or ("No return received" if p.return_period is None else "")
        if p.next_key_milestone_date:
            milestone += f" ({uk_date(p.next_key_milestone_date)})"
        table.row((p.project_name, _rag_cell(p.rag), p.travel, milestone, p.reason))
    changes = run.changes
    doc.add_heading("Changes to the list", level=2)
    if changes.previous_period is None:
        doc.add_paragraph("No earlier report is on record to compare the list with.")
        return
    from etl.rules.periods import Period

    since = Period.parse(changes.previous_period).label
    if not changes.added and not changes.removed:
        doc.add_paragraph(f"No change since the {since} report.")
    for verb, items in (("Added", changes.added), ("Removed", changes.removed)):
        for item in items:
            doc.add_paragraph(f"{verb} since {since}: {item.project_name} \u2014 {item.reason}", style="List Bullet")


def _activities(doc, run: ScorecardRun) -> None:
    doc.add_heading("6. Priority Activities", level=1)
    if not run.activities:
        doc.add_paragraph("No priority activities were given for this report.")
        return
    counts = rag_counts(run.activities)
    doc.add_paragraph(", ".join(f"{rating}: {n}" for rating, n in counts.items())
                      + f". Overdue (due before {uk_date(run.period.last_day)}): {len(run.overdue)}.")
    as_of = run.period.last_day
    for directorate, items in activities_by_directorate(run.activities):
        doc.add_heading(directorate, level=2)
        table = _Table(doc, ("Activity", "Lead", "Due", "RAG", "Commentary"), (5.5, 2.5, 2.3, 2.2, 5.9))
        for a in items:
            due = uk_date(a.due) + ("\nOVERDUE" if a.overdue(as_of) else "")
            activity = a.activity + (f"\n({a.business_plan})" if a.business_plan else "")
            table.row((activity, a.lead, due, _rag_cell(a.rag), a.commentary))


def _gateway(doc, run: ScorecardRun) -> None:
    doc.add_heading("7. Original Devolution Deal: Investment Fund Gateway Review", level=1)
    if not run.commitments:
        doc.add_paragraph("No Gateway Review commitments were given for this report.")
        return
    table = _Table(doc, ("Commitment", "Theme", "Evaluation milestone", "Due", "Status", "Commentary"),
                   (3.8, 2.2, 3.8, 2.0, 2.0, 4.6))
    for c in run.commitments:
        table.row((c.commitment, c.theme, c.milestone, uk_date(c.due), c.status, c.commentary))


def _problems(doc, run: ScorecardRun) -> None:
    if not run.problems:
        return
    doc.add_heading("Problems in the inputs", level=1)
    _note(doc, "These rows were set aside; a KPI among them is shown Not rated.")
    for problem in run.problems:
        doc.add_paragraph(str(problem), style="List Bullet")


def _key(doc) -> None:
    doc.add_heading("RAG key", level=1)
    for title, definitions in (
        ("KPI RAG compared to Direction for Improvement", kpi_rules.KPI_DIRECTION_DEFINITIONS),
        ("KPI RAG compared to Target", kpi_rules.KPI_TARGET_DEFINITIONS),
        ("Project and activity RAG", rag.RAG_DEFINITIONS),
    ):
        doc.add_heading(title, level=2)
        table = _Table(doc, ("Rating", "Meaning"), (3.0, 15.0))
        for rating, meaning in definitions.items():
            table.row((_rag_cell(rating), meaning))


def write_paper(path: Path | str, run: ScorecardRun, settings: Settings | None = None,
                details: PaperDetails | None = None) -> Path:
    """Write the committee paper (atomically: complete, or not at all)."""
    settings, details = settings or Settings(), details or PaperDetails()
    doc = Document()
    _page_section(doc, landscape=False)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10)
    doc.core_properties.title = f"Corporate Performance Report {run.period.label}"
    doc.core_properties.author = details.author or settings.paper_author
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = f"Corporate Performance Report \u2014 {run.period.label}"
    _cover(doc, run, settings, details)
    _purpose(doc, run)
    _summary(doc, run)
    _scorecard(doc, run)
    _exceptions(doc, run, settings)
    _most_complex(doc, run)
    _activities(doc, run)
    _gateway(doc, run)
    _problems(doc, run)
    _key(doc)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)
