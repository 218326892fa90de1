"""Lay the Single Project Register out as a workbook: Summary, Register, Escalations,
Missing Returns and Changes.

The content comes from `etl.cycle.register.build_register`; every format, conditional format,
chart style and print setting comes from `etl.workbooks.formats`. The file is written atomically,
so an interrupted run leaves the previous register in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from etl.rules.periods import AWAITED, MISSING, NOT_DUE, NOT_RATED, PAUSED, RECEIVED, RECEIVED_LATE
from etl.rules.rag import RAG_SCALE
from etl.rules.dates import uk_date
from etl.cycle.register import BREAKDOWNS, CATEGORIES, CLOSED_STATUS, Register
from etl.workbooks.formats import (
    LAST_ROW, Column, Formats, add_flag_formats, add_rag_formats, atomic_workbook, fit_row_heights, print_setup, rag_distribution_chart,
    rag_trend_chart, write_table, write_value,
)

SUMMARY, REGISTER, ESCALATIONS, MISSING_RETURNS, CHANGES = (
    "Summary", "Register", "Escalations", "Missing Returns", "Changes",
)
SHEETS = (SUMMARY, REGISTER, ESCALATIONS, MISSING_RETURNS, CHANGES)

REGISTER_COLUMNS: tuple[Column, ...] = (
    # Printed page 1: what CMT reads first (the Project ID and Name repeat on every page).
    Column("Project ID", "project_id", "text", 10),
    Column("Project Name", "project_name", "wrap", 26),
    Column("Directorate", "directorate", "wrap", 16),
    Column("Stage", "stage", "wrap", 12),
    Column("Return Status", "status", "text", 12),
    Column("RAG (this period)", "rag", "rag", 11),
    Column("RAG Period", "rag_period", "wrap", 11),
    Column("RAG (previous)", "rag_previous", "rag_labelled", 15),
    Column("Direction of Travel", "direction", "arrow", 9),
    Column("Compared With", "compared_with", "wrap", 12),
    Column("Escalate", "escalate", "centre", 9),
    Column("Agreed Completion Date", "agreed_completion_date", "date", 11),
    Column("Forecast Completion Date", "forecast_completion_date", "date", 11),
    Column("Slippage (days)", "slippage_days", "int", 9),
    # Page 2: where the project sits, how it reports, and its money.
    Column("Programme", "programme", "wrap", 16),
    Column("Service", "service", "wrap", 14),
    Column("District", "district", "wrap", 13),
    Column("Delivery Cost (£)", "delivery_cost", "money", 13),
    Column("Reporting Frequency", "frequency", "text", 11),
    Column("Report Type", "report_type", "text", 10),
    Column("Closed In", "closed_in", "text", 9),
    Column("Not Rated Reason", "not_rated_reason", "wrap", 20),
    Column("Budget Approved (£)", "budget_approved", "money", 13),
    Column("Spend to Date (£)", "spend_to_date", "money", 13),
    Column("Forecast Outturn (£)", "forecast_outturn", "money", 13),
    Column("Sponsor", "sponsor", "wrap", 14),
    # Page 3: the narrative and the people.
    Column("Next Key Milestone", "next_key_milestone", "wrap", 22),
    Column("Next Key Milestone Date", "next_key_milestone_date", "date", 11),
    Column("Top Risk", "top_risk", "wrap", 26),
    Column("PM Update", "pm_update", "wrap", 46),
    Column("Project Manager", "project_manager", "wrap", 14),
    Column("Internal Representative", "internal_representative", "wrap", 14),
    Column("Last Return Received", "last_received", "date", 11),
    # An e-mailed return from someone other than the project's contacts (issue 16).
    Column("Sent By", "sent_by", "wrap", 24),
)

_BY_KEY = {c.key: c for c in REGISTER_COLUMNS}
#: The Register sheet prints on A3 landscape at three-quarters size, three pages across:
#: status and RAG (what CMT reads first); portfolio details and money; the narrative.
_PAGE_STARTS = tuple(i for i, c in enumerate(REGISTER_COLUMNS) if c.key in ("programme", "next_key_milestone"))
_PRINT_SCALE = 75


def _columns(*specs: str | tuple[str, float] | Column) -> tuple[Column, ...]:
    """A list's columns: a Register column by key (optionally `(key, width)`), or a new one."""
    out = []
    for spec in specs:
        if isinstance(spec, Column):
            out.append(spec)
        elif isinstance(spec, tuple):
            out.append(replace(_BY_KEY[spec[0]], width=spec[1]))
        else:
            out.append(_BY_KEY[spec])
    return tuple(out)


ESCALATION_COLUMNS = _columns(
    "project_id", ("project_name", 24), "directorate", "rag", "rag_previous", "direction", "compared_with",
    Column("Why Escalated", "escalation_reason", "wrap", 18), "rag_period", ("pm_update", 55), ("top_risk", 30),
    Column("Top Risk Mitigation", "top_risk_mitigation", "wrap", 30), "forecast_completion_date",
    "slippage_days", "sponsor", "project_manager",
)

MISSING_COLUMNS = _columns(
    "project_id", ("project_name", 28), ("report_type", 11), "frequency", ("project_manager", 16),
    Column("Project Manager Email", "project_manager_email", "wrap", 30), ("internal_representative", 16),
    Column("Internal Representative Email", "internal_representative_email", "wrap", 30),
    Column("Due Date", "due_date", "date", 11), Column("Days Overdue", "days_overdue", "int", 9),
    Column("Rejected Files", "rejected_files", "int", 9), Column("Note", "note", "wrap", 28), "last_received",
    # A Red project that goes quiet is the first to chase.
    Column("Last Known RAG", "rag_previous", "rag_labelled", 13),
)

CHANGE_COLUMNS = _columns(
    "project_id", ("project_name", 30), ("directorate", 18), Column("Change", "change", "text", 15),
    Column("From", "from", "rag", 13), Column("To", "to", "rag", 13), Column("Detail", "detail", "wrap", 50),
)

# Values whose font is coloured wherever they appear in a list: better/worse, escalated.
_FLAGGED = {"direction": ("↑", "↓"), "escalate": ("Yes",)}

# Summary: column A names a row, B to J hold the counts.
_SUMMARY_WIDTHS = (34, 11, 11, 11, 11, 11, 11, 11, 11, 11)
_BREAKDOWN_HEADERS = (*CATEGORIES, "Total")
_CHART_HEIGHT = 280


def write_register(register: Register, path: Path | str) -> Path:
    """Write the register workbook to `path` (atomically)."""
    path = Path(path)
    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({
            "title": f"Single Project Register {register.period}",
            "subject": f"Single Project Register, {register.period.label}",
            "company": register.settings.authority_name,
            "created": register.built_at,
        })
        summary = workbook.add_worksheet(SUMMARY)
        # The Register is a list CMT scans, a project a row: rows stay short enough for about
        # fifteen projects a printed page (the full narrative is on the Escalations sheet and in
        # each return).
        _write_list(workbook, formats, REGISTER, REGISTER_COLUMNS, register.rows, register,
                    "No projects on the portfolio.", max_lines=REGISTER_ROW_LINES, pages=True)
        # The escalation narrative is what the meeting reads: let its rows grow taller.
        _write_list(workbook, formats, ESCALATIONS, ESCALATION_COLUMNS, register.escalations, register,
                    "No project is escalated this period.", max_lines=24)
        missing = [{**r, "note": _missing_note(r)} for r in register.missing]
        _write_list(workbook, formats, MISSING_RETURNS, MISSING_COLUMNS, missing, register,
                    "Every return due this period has been received.")
        changes = [{**c, "from": _shown(c["from"]), "to": _shown(c["to"])} for c in register.changes]
        empty = f"No changes since the register for {register.previous_register}." if register.previous_register else (
            "No changes in RAG or forecast dates; no earlier register was built, so projects added or "
            "closed are not listed."
        )
        _write_list(workbook, formats, CHANGES, CHANGE_COLUMNS, changes, register, empty,
                    heading=f"{register.changes_title}: {register.period.label}")
        _write_summary(workbook, summary, formats, register)
        summary.activate()
    return path


def _shown(value: Any) -> Any:
    """A change's before/after value as text: RAG and stage as they are, dates the UK way."""
    return uk_date(value) if isinstance(value, dt.date) else value


#: The tallest a row of the Register sheet grows, in lines of wrapped text.
REGISTER_ROW_LINES = 4


def _missing_note(row: dict[str, Any]) -> str | None:
    if row["rejected_files"]:
        noun = "file was" if row["rejected_files"] == 1 else "files were"
        return f"{row['rejected_files']} {noun} rejected and not yet corrected"
    return None


def _write_list(workbook, formats: Formats, name: str, columns: Sequence[Column], rows: list[dict[str, Any]],
                register: Register, empty_note: str, max_lines: int = 12, pages: bool = False,
                heading: str = "") -> None:
    ws = workbook.add_worksheet(name)
    count = write_table(ws, formats, columns, rows, rag_last_row=LAST_ROW)
    # Keep the project's ID and name in view while scrolling across the columns.
    ws.freeze_panes(1, 2)
    ws.set_row(0, 42)
    fit_row_heights(ws, columns, rows, max_lines=max_lines)
    for offset, column in enumerate(columns):
        if column.key in _FLAGGED:
            add_flag_formats(ws, formats, 1, offset, LAST_ROW, _FLAGGED[column.key])
    if not count:
        ws.write_string(1, 0, empty_note, formats["note"])
    if pages:
        print_setup(ws, period=str(register.period), paper="A3", page_columns=_PAGE_STARTS, repeat_columns=(0, 1),
                    scale=_PRINT_SCALE)
    else:
        print_setup(ws, period=str(register.period), heading=heading)


def _write_summary(workbook, ws, formats: Formats, register: Register) -> None:
    for col, width in enumerate(_SUMMARY_WIDTHS):
        ws.set_column(col, col, width)
    period = register.period
    ws.write_string(0, 0, f"Single Project Register: {period.label}", formats["title"])
    ws.write_string(1, 0, register.settings.authority_name, formats["subtitle"])
    ws.set_row(0, 24)

    fresh = (f"latest return received {register.latest_received:%d/%m/%Y %H:%M}"
             if register.latest_received else "no returns in the store yet")
    status = register.status_counts()
    received_now = status[RECEIVED] + status[RECEIVED_LATE]
    details = (
        ("Period", f"{period} ({period.label})"),
        ("Position as at", register.as_of),
        ("Built", register.built_at),
        ("Built by", register.built_by or ""),
        ("Data freshness", f"{received_now} returns for {period}; {fresh}"),
    )
    row = 3
    for label, value in details:
        ws.write_string(row, 0, label, formats["label"])
        ws.merge_range(row, 1, row, len(_SUMMARY_WIDTHS) - 1, "", formats["text"])
        fmt = formats["datetime"] if isinstance(value, dt.datetime) else formats["date"] if isinstance(value, dt.date) else formats["text"]
        write_value(ws, row, 1, value, fmt)
        row += 1

    row += 1
    ws.merge_range(row, 0, row, 1, "Returns this period", formats["section"])
    ws.merge_range(row, 3, row, 4, "RAG (live projects)", formats["section"])
    row += 1
    due = status[RECEIVED] + status[RECEIVED_LATE] + status[NOT_RATED] + status[AWAITED] + status[MISSING]
    returns = (
        ("Live projects (counted)", len(register.live)),
        ("Returns due", due),
        ("Received on time", status[RECEIVED]),
        ("Received late", status[RECEIVED_LATE]),
        ("Not rated (with a reason)", status[NOT_RATED]),
        ("Awaited (not yet due)", status[AWAITED]),
        ("Missing (past the due date)", status[MISSING]),
        ("Not due this period", status[NOT_DUE]),
        ("Paused (pipeline)", status[PAUSED]),
        ("Closed (listed, not counted)", status[CLOSED_STATUS]),
        ("Escalated", len(register.escalations)),
        (register.changes_title, len(register.changes)),
    )
    table_top = row
    write_table(ws, formats, (Column("Measure", "name", "text"), Column("Projects", "value", "figure")),
                [{"name": n, "value": v} for n, v in returns], first_row=row, autofilter=False, freeze=False,
                widths=False)
    rag = register.rag_counts()
    rag_columns = (Column("RAG", "name", "rag"), Column("Projects", "value", "figure"))
    write_table(ws, formats, rag_columns, [{"name": n, "value": v} for n, v in rag.items()],
                first_row=row, first_col=3, autofilter=False, freeze=False, widths=False)
    ws.write_string(row + len(rag) + 1, 3, "Total", formats["total_label_boxed"])
    ws.write_number(row + len(rag) + 1, 4, len(register.live), formats["total"])
    ws.merge_range(row + len(rag) + 2, 3, row + len(rag) + 5, 4, _counted_note(register), formats["note"])

    # RAG distribution chart beside the two small tables.
    chart = rag_distribution_chart(workbook, SUMMARY, table_top + 1, table_top + len(rag), 3, 4,
                                   list(rag), f"Projects by RAG, {period.label}", max(rag.values()))
    chart.set_size({"width": 260, "height": 220})
    ws.insert_chart(table_top, 5, chart, {"x_offset": 8, "y_offset": 0, "object_position": 1})

    row = table_top + max(len(returns), len(rag) + 4) + 2
    trend_chart_row = row
    row += 16  # room for the trend chart (about 15 rows of 20 px)
    # The breakdowns start a printed page of their own, headed by their section bar.
    ws.set_h_pagebreaks([row])

    for key, title in BREAKDOWNS:
        ws.merge_range(row, 0, row, len(_SUMMARY_WIDTHS) - 1, f"RAG by {title.lower()}", formats["section"])
        row += 1
        row = _breakdown(ws, formats, row, title, register.breakdown(key))
        row += 1

    ws.merge_range(row, 0, row, len(_SUMMARY_WIDTHS) - 2, "RAG over the last twelve periods, each as it was then", formats["section"])
    row += 1
    header = row
    trend_rows = [{"name": f"{p.label[:3]} {p.year}", **counts} for p, counts in register.trend]
    _breakdown(ws, formats, row, "Period", trend_rows, total=False)
    # The chart shows the five ratings; the table beside it also counts projects with none.
    chart = rag_trend_chart(workbook, SUMMARY, header, header + 1, header + len(trend_rows), 0, 1, RAG_SCALE,
                            "RAG over the last twelve periods",
                            max(sum(counts[r] for r in RAG_SCALE) for _, counts in register.trend))
    chart.set_size({"width": 810, "height": _CHART_HEIGHT})
    ws.insert_chart(trend_chart_row, 0, chart, {"x_offset": 0, "y_offset": 6, "object_position": 1})

    ws.hide_gridlines(2)
    print_setup(ws, repeat_rows=None, period=str(period))


def _counted_note(register: Register) -> str:
    """What the RAG counts are of: said on the Summary, beside them."""
    closed = len(register.closed)
    return (f"RAG this period counts the {len(register.live)} live projects. "
            + (f"The {closed} closed project{'s are' if closed != 1 else ' is'} listed on the Register sheet "
               "with the final RAG, not counted. " if closed else "")
            + "Pipeline projects are counted as Paused.")


def _breakdown(ws, formats: Formats, row: int, title: str, lines: list[dict[str, Any]], total: bool = True) -> int:
    """A table of counts per group, header cells in RAG colours; returns the row after it."""
    headers = _BREAKDOWN_HEADERS if total else _BREAKDOWN_HEADERS[:-1]
    keys = (*CATEGORIES, "total")[:len(headers)]
    columns = [Column(title, "name", "wrap")] + [Column(h, k, "count") for h, k in zip(headers, keys)]
    write_table(ws, formats, columns, lines, first_row=row, autofilter=False, freeze=False, widths=False)
    for offset, col in enumerate(columns[1:], start=1):
        ws.write_string(row, offset, col.header, formats["header_centre"])
    add_rag_formats(ws, formats, row, 1, row, len(RAG_SCALE))  # the header cells are a colour key
    ws.set_row(row, 28)
    if total:
        last = row + len(lines) + 1
        ws.write_string(last, 0, "Total", formats["total_label_boxed"])
        for offset, key in enumerate(keys, start=1):
            ws.write_number(last, offset, sum(line[key] for line in lines), formats["total"])
        row = last
    else:
        row = row + len(lines)
    return row + 1
