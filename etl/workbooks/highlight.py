"""Lay out the programme highlight report (seed 000): a cover sheet (overview, the Individual
Workstream Status table, the overall RAG, the RAG methodology), then one sheet per workstream
laid out like the published report. The content comes from `etl.cycle.highlight`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from etl.cycle.highlight import (
    COVER_SHEET, METHODOLOGY_INTRO, OVERALL_RULE, THEME_RAG_DEFINITIONS, ProgrammeReport, Workstream,
)
from etl.rules.dates import day_month_year, stored_date_or_text, uk_date
from etl.rules.periods import MISSING, NOT_DUE, PAUSED
from etl.rules.rag import RAG_SCALE


_COVER_WIDTHS = (40, 18, 18, 22)
_SHEET_WIDTHS = (5, 36, 35, 12, 12)


#: Excel's limit on a sheet name, in UTF-16 code units (an emoji counts two).
SHEET_NAME_UNITS = 31


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, units: int) -> str:
    """The longest start of `text` within `units` UTF-16 code units (never half a character)."""
    while _units(text) > units:
        text = text[:-1]
    return text


def _sheet_safe(text: str) -> str:
    """Text fit for a sheet name: none of []:*?/\\', no control characters, spaces folded."""
    return " ".join(re.sub(r"[\[\]:*?/\\'\x00-\x1f\x7f]", " ", text).split())


def _sheet_names(workstreams: list[Workstream]) -> list[str]:
    """Unique sheet names (≤31 UTF-16 units, none of []:*?/\\) from the workstream names."""
    names: list[str] = []
    taken = {COVER_SHEET.casefold(), "history"}  # "History" is reserved by Excel
    for ws in workstreams:
        base = _sheet_safe(ws.name) or _sheet_safe(ws.project_id) or "Workstream"
        name = base if _units(base) <= SHEET_NAME_UNITS else _fit(base, SHEET_NAME_UNITS - 1).rstrip(" ,") + "…"
        number = 2
        while name.casefold() in taken:
            suffix = f" ({number})"
            name = _fit(base, SHEET_NAME_UNITS - len(suffix)).rstrip() + suffix
            number += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def _window_text(start: Any, end: Any) -> str:
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        return f"{uk_date(start)} - {uk_date(end)}"
    return ""


_long_date = day_month_year


def write_highlight(report: ProgrammeReport, path: Path | str) -> Path:
    """Write the programme highlight workbook atomically; its path."""
    from etl.workbooks.formats import atomic_workbook

    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({"title": f"{report.programme}: highlight report {report.period}"})
        names = _sheet_names(report.workstreams)
        _write_cover(workbook, formats, report)
        for ws, name in zip(report.workstreams, names):
            _write_workstream(workbook, formats, report, ws, name)
    return Path(path)


def _write_cover(workbook, formats, report: ProgrammeReport) -> None:
    from etl.workbooks.formats import (
        add_rag_formats, add_value_format, print_setup, row_height, write_long_text, write_value,
    )

    sheet = workbook.add_worksheet(COVER_SHEET)
    for col, width in enumerate(_COVER_WIDTHS):
        sheet.set_column(col, col, width)
    last, total = len(_COVER_WIDTHS) - 1, sum(_COVER_WIDTHS)
    start, end = report.window
    sheet.merge_range(0, 0, 0, last, report.programme, formats["title"])
    sheet.set_row(0, 24)
    sheet.merge_range(1, 0, 1, last, f"Programme Level Highlight Report for the Period: "
                      f"{_long_date(start)} - {_long_date(end)}", formats["bold"])
    received = len(report.workstreams) - len(report.missing)
    sheet.merge_range(2, 0, 2, last, f"Reporting month {report.period} · {received} of {len(report.workstreams)} "
                      f"workstream returns received", formats["subtitle"])

    row = 4
    sheet.merge_range(row, 0, row, last, "Lead Executive Director Overview", formats["section"])
    row += 1
    if report.overview:
        for paragraph in report.overview.split("\n"):
            row = write_long_text(sheet, formats, row, 0, last, paragraph, total, "paragraph")
    else:
        row = write_long_text(sheet, formats, row, 0, last, "No overview was supplied for this report.",
                              total, "note")

    row += 1
    sheet.merge_range(row, 0, row, last, "Overall Programme Status", formats["section"])
    row += 1
    set_by_lead = report.overall is not None
    label = "Overall programme RAG (set by the programme lead)" if set_by_lead else "Overall programme RAG (suggested)"
    sheet.write_string(row, 0, label, formats["label"])
    write_value(sheet, row, 1, report.overall_rag or "No returns", formats["rag_large"])
    if set_by_lead:
        note = f"Set by the programme lead. Suggested: {report.suggested or 'none (no returns)'}, {OVERALL_RULE}"
    else:
        note = f"Suggested: {OVERALL_RULE} The programme lead may confirm it or set another rating."
    sheet.merge_range(row, 2, row, last, note, formats["note"])
    sheet.set_row(row, row_height(note, sum(_COVER_WIDTHS[2:]), minimum=30))
    add_rag_formats(sheet, formats, row, 1, row, 1)
    if set_by_lead:
        row += 1
        sheet.write_string(row, 0, "Suggested (median of workstreams)", formats["label"])
        write_value(sheet, row, 1, report.suggested or "No returns", formats["rag"])
        sheet.merge_range(row, 2, row, last, "", formats["note"])
        add_rag_formats(sheet, formats, row, 1, row, 1)

    row += 2
    sheet.merge_range(row, 0, row, last, "Individual Workstream Status", formats["section"])
    row += 1
    for col, header in enumerate(("Workstream", "This period", "Last period", "Direction of travel")):
        sheet.write_string(row, col, header, formats["header"])
    first = row + 1
    for ws in report.workstreams:
        row += 1
        write_value(sheet, row, 0, ws.name, formats["wrap"])
        write_value(sheet, row, 1, ws.this_period, formats["rag"])
        write_value(sheet, row, 2, ws.rag_last or "Not known", formats["rag"])
        write_value(sheet, row, 3, ws.direction, formats["arrow"])
        sheet.set_row(row, row_height(ws.name, _COVER_WIDTHS[0], minimum=18))
    add_rag_formats(sheet, formats, first, 1, row, 2)
    add_value_format(sheet, formats, first, 1, row, 2, MISSING)
    for status in (MISSING, NOT_DUE, PAUSED):
        names = [w.name for w in report.missing if w.absent_status == status]
        if names:
            row += 1
            reason = {MISSING: "no accepted return for", NOT_DUE: "not due to report for",
                      PAUSED: "reporting paused (Pipeline) for"}[status]
            text = (f"{status}: {reason} {report.period.label}: {', '.join(names)}. "
                    "Last period is the latest accepted return before it.")
            row = write_long_text(sheet, formats, row, 0, last, text, total, "note") - 1

    # The methodology starts a page of its own, so the status table and it are not split.
    row += 2
    sheet.set_h_pagebreaks([row])
    sheet.merge_range(row, 0, row, last, "RAG Rating Methodology", formats["section"])
    row = write_long_text(sheet, formats, row + 1, 0, last, METHODOLOGY_INTRO, total, "paragraph")
    first = row
    for rating in RAG_SCALE:
        definition = THEME_RAG_DEFINITIONS[rating]
        sheet.write_string(row, 0, rating, formats["rag"])
        sheet.merge_range(row, 1, row, last, definition, formats["wrap"])
        sheet.set_row(row, row_height(definition, sum(_COVER_WIDTHS[1:]), minimum=18))
        row += 1
    add_rag_formats(sheet, formats, first, 0, row - 1, 0)
    print_setup(sheet, landscape=False, repeat_rows=None, period=str(report.period))


def _write_workstream(workbook, formats, report: ProgrammeReport, ws: Workstream, name: str) -> None:
    from etl.workbooks.formats import (
        add_rag_formats, add_value_format, print_setup, row_height, write_long_text, write_value,
    )

    sheet = workbook.add_worksheet(name)
    for col, width in enumerate(_SHEET_WIDTHS):
        sheet.set_column(col, col, width)
    last, total = len(_SHEET_WIDTHS) - 1, sum(_SHEET_WIDTHS)
    value_width = sum(_SHEET_WIDTHS[2:])
    sheet.merge_range(0, 0, 0, last, ws.name, formats["title"])
    sheet.set_row(0, 24)
    sheet.merge_range(1, 0, 1, last, f"{ws.project_id} · {report.programme} · highlight report for "
                      f"{report.period.label}", formats["subtitle"])
    row = 3
    if ws.missing:
        text = (f"{ws.absent_status}: no accepted return for {report.period.label}. The details below are from the "
                "portfolio; the previous status is that of the latest accepted return before it.")
        sheet.merge_range(row, 0, row, last, text, formats["banner"])
        sheet.set_row(row, row_height(text, total, minimum=30))
        row += 2

    def section(title: str) -> None:
        nonlocal row
        sheet.merge_range(row, 0, row, last, title, formats["section"])
        row += 1

    def text_block(title: str, text: Any) -> None:
        nonlocal row
        section(title)
        row = write_long_text(sheet, formats, row, 0, last, text, total, "wrap") + 1

    def pair(label: str, value: Any, fmt: str = "text") -> None:
        nonlocal row
        sheet.merge_range(row, 0, row, 1, label, formats["label"])
        sheet.merge_range(row, 2, row, last, "", formats[fmt])
        write_value(sheet, row, 2, value, formats[fmt])
        sheet.set_row(row, row_height(value if isinstance(value, str) else "", value_width, minimum=18))
        row += 1

    if not ws.missing:
        text_block("Project Description", ws.value("project_description"))
        text_block("Project Outcomes", ws.value("project_outcomes"))
    section("Workstream Details")
    pair("Workstream Sponsor", ws.value("sponsor"))
    pair("Project Manager/s", ws.value("project_manager"))
    pair("PMO (Programme Management Office) Support", ws.value("pmo_support"))
    pair("Agreed Completion Date", ws.value("agreed_completion_date"), "date")
    if not ws.missing:
        pair("Forecast Completion Date", ws.value("forecast_completion_date"), "date")
        pair("Reporting Period", _window_text(ws.value("reporting_period_start"), ws.value("reporting_period_end")))
    status_first = row
    for label, value in (("Project Status: This Period", ws.this_period),
                         ("Project Status: Previous Period", ws.rag_last or "Not known")):
        sheet.merge_range(row, 0, row, 1, label, formats["label"])
        write_value(sheet, row, 2, value, formats["rag"])
        sheet.set_row(row, 18)
        row += 1
    add_rag_formats(sheet, formats, status_first, 2, row - 1, 2)
    add_value_format(sheet, formats, status_first, 2, row - 1, 2, MISSING)
    row += 1
    if ws.missing:
        print_setup(sheet, landscape=False, repeat_rows=None, period=str(report.period))
        return

    text_block("Project Manager Update", ws.value("pm_update"))
    text_block("Workstream Sponsor Comments", ws.value("sponsor_comments"))

    def table(title: str, headers: tuple[tuple[str, int, int], ...], rows: list[tuple[Any, ...]]) -> None:
        """A numbered table; each header is (text, first column, last column)."""
        nonlocal row
        section(title)
        for text, c1, c2 in headers:
            if c2 > c1:
                sheet.merge_range(row, c1, row, c2, text, formats["header"])
            else:
                sheet.write_string(row, c1, text, formats["header"])
        row += 1
        if not rows:
            sheet.merge_range(row, 0, row, last, "None reported.", formats["note"])
            row += 2
            return
        for values in rows:
            height = 18.0
            for value, (text, c1, c2) in zip(values, headers):
                fmt = "date" if isinstance(value, dt.date) else "centre" if c1 == 0 else "wrap"
                if c2 > c1:
                    sheet.merge_range(row, c1, row, c2, "", formats[fmt])
                write_value(sheet, row, c1, value, formats[fmt])
                if isinstance(value, str):
                    height = max(height, row_height(value, sum(_SHEET_WIDTHS[c1:c2 + 1])))
            sheet.set_row(row, height)
            row += 1
        row += 1

    table("Key Milestones this Period",
          (("#", 0, 0), ("Milestone", 1, 2), ("Status", 3, 3), ("Date", 4, 4)),
          [(n, m.get("milestone"), m.get("status"), stored_date_or_text(m.get("date")))
           for n, m in enumerate(ws.milestones_this, start=1)])
    table("Key Milestones Planned for Next Period",
          (("#", 0, 0), ("Milestone", 1, 3), ("Due date", 4, 4)),
          [(n, m.get("milestone"), stored_date_or_text(m.get("date"))) for n, m in enumerate(ws.milestones_next, start=1)])
    table("Project Risks",
          (("#", 0, 0), ("Risk Description", 1, 1), ("Mitigation", 2, 2), ("Rating", 3, 4)),
          [(n, r.get("risk"), r.get("mitigation"), r.get("rating")) for n, r in enumerate(ws.risks, start=1)])
    section("Report Completed")
    pair("Report Completed By", ws.value("completed_by"))
    pair("Completion Date", ws.value("completed_date"), "date")
    print_setup(sheet, landscape=False, repeat_rows=None, period=str(report.period))
