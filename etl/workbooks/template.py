"""Lay out a highlight-report template (or, with answers, a filled return) as a workbook.

The layout follows the Improvement Plan highlight reports (seed 000): identity, status this
and previous period, the project manager's update, sponsor comments, key milestones this
period and next, risks and mitigation, completed by and date; the full report adds finance,
the next key milestone, outcomes and impacts and the number 1 risk. Every field is a
workbook-level defined name (`etl.contracts.fields`). Identity cells are prefilled and
locked; input cells are unlocked, shaded, and carry drop-down lists or date validation. The
sheet is protected without a password (against accidents, not people). A very hidden
`_meta` sheet records template version, project, period and report type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from etl.config import Settings
from etl.contracts import fields as F
from etl.cycle.templates import (
    TEMPLATE_SUFFIX, Answers, TemplateContext, TemplateInfo, template_name,
)
from etl.rules.dates import long_date, uk_date
from etl.rules.periods import FULL, Period
from etl.rules.rag import NOT_RATED, NOT_RATED_REASONS, RAG_DEFINITIONS, RAG_SCALE, STATUS_CHOICES
from etl.workbooks.formats import Formats, add_rag_formats, atomic_workbook, print_setup, write_value

# Columns: A number, B main text, C second text (or status/date), D rating/date.
_WIDTHS = (5, 52, 38, 15)
_LAST_COL = len(_WIDTHS) - 1
_BIG_TEXT_HEIGHT = {
    "pm_update": 190, "sponsor_comments": 75, "project_description": 60, "project_outcomes": 60,
    "outcomes_and_impacts": 75, "top_risk": 45, "top_risk_mitigation": 45,
}
_TABLE_ROW_HEIGHT = 30
_ROW_HEIGHT = 18
_VALUE_CHARS = 52  # characters that fit on one line of the value column (C:D)



class _Sheet:
    """Lays out one Highlight Report sheet top to bottom, defining names as it goes."""

    def __init__(self, workbook, formats: Formats, ctx: TemplateContext, answers: Answers | None):
        self.wb, self.fmt, self.ctx = workbook, formats, ctx
        self.ws = workbook.add_worksheet(F.SHEET)
        self.answers = answers or Answers()
        self.prefill = ctx.prefill()
        self.row = 0
        self.rag_cells: list[tuple[int, int]] = []
        self.page_breaks: list[int] = []

    def cell(self, row: int, col: int = 2) -> str:
        return f"'{F.SHEET}'!${'ABCD'[col]}${row + 1}"

    def name(self, name: str, first: tuple[int, int], last: tuple[int, int] | None = None) -> None:
        ref = self.cell(*first) if last is None else f"{self.cell(*first)}:${'ABCD'[last[1]]}${last[0] + 1}"
        self.wb.define_name(name, f"={ref}")

    def heading(self) -> None:
        ws, ctx = self.ws, self.ctx
        for col, width in enumerate(_WIDTHS):
            ws.set_column(col, col, width)
        ws.set_default_row(_ROW_HEIGHT)
        kind = "Full highlight report" if ctx.report_type == FULL else "Simplified highlight report"
        ws.set_row(0, 26)
        ws.merge_range(0, 0, 0, _LAST_COL, f"Highlight Report — {ctx.project_name}", self.fmt["title"])
        due = long_date(ctx.due_date)
        ws.merge_range(
            1, 0, 1, _LAST_COL,
            f"{kind} for {ctx.period.label} · please return by {due}"
            + (f" to {ctx.office_email}" if ctx.office_email else ""),
            self.fmt["subtitle"],
        )
        ws.set_row(2, 28)
        ws.merge_range(
            2, 0, 2, _LAST_COL,
            "Yellow cells are for you to complete; grey cells are filled in by the "
            f"{ctx.office_name}. Fields marked * are required. Please do not rename or move this "
            "file's sheets. The Guidance sheet explains each field and the RAG ratings.",
            self.fmt["note"],
        )
        self.row = 4

    def section(self, title: str, new_page: bool = False) -> None:
        if new_page:
            # Start this section on a new printed page, so no box is cut from its label.
            self.page_breaks.append(self.row)
        self.ws.set_row(self.row, 18)
        self.ws.merge_range(self.row, 0, self.row, _LAST_COL, title, self.fmt["section"])
        self.row += 1

    def field(self, spec: F.Field) -> None:
        """A labelled single-value field: label on the left, value (or a big box below)."""
        ws, r = self.ws, self.row
        label = spec.label + (" *" if spec.required and not spec.prefilled else "")
        value = self.answers.values.get(spec.name, self.prefill.get(spec.name))
        locked = spec.prefilled or (spec.name == "rag_previous" and self.ctx.rag_previous)
        big = spec.name in _BIG_TEXT_HEIGHT
        if big:
            ws.merge_range(r, 0, r, _LAST_COL, label, self.fmt["label"])
            r += 1
            ws.set_row(r, _BIG_TEXT_HEIGHT[spec.name])
            style = "locked_wrap" if locked else "input_wrap"
            ws.merge_range(r, 0, r, _LAST_COL, "", self.fmt[style])
            write_value(ws, r, 0, value, self.fmt[style])
            self.name(spec.name, (r, 0))
            self._validate(spec, r, 0)
        else:
            ws.merge_range(r, 0, r, 1, label, self.fmt["label"])
            style = self._style(spec, locked)
            self._fit_row(r, value)
            ws.merge_range(r, 2, r, _LAST_COL, "", self.fmt[style])
            write_value(ws, r, 2, value, self.fmt[style])
            self.name(spec.name, (r, 2))
            self._validate(spec, r, 2)
            if spec.kind == "rag":
                self.rag_cells.append((r, 2))
        self.row = r + 1

    def _fit_row(self, r: int, value: object) -> None:
        """Make a row tall enough for a long prefilled value (rows do not grow by themselves)."""
        if isinstance(value, str) and len(value) > _VALUE_CHARS:
            lines = -(-len(value) // _VALUE_CHARS)
            self.ws.set_row(r, _ROW_HEIGHT + 13 * (lines - 1))

    def _style(self, spec: F.Field, locked: bool) -> str:
        if locked:
            return "locked_date" if spec.kind == "date" else "locked_wrap"
        return {"date": "input_date", "money": "input_money", "rag": "input_centre",
                "not_rated_reason": "input_centre", "text": "input_wrap"}.get(
            spec.kind, "input")

    def _validate(self, spec: F.Field, r: int, c: int) -> None:
        if spec.prefilled:
            return
        options: dict[str, Any] | None = None
        choices = {"rag": ("Status", STATUS_CHOICES),
                   "not_rated_reason": ("Reason not rated", NOT_RATED_REASONS)}
        if spec.kind in choices:
            title, listed = choices[spec.kind]
            options = {
                "validate": "list", "source": list(listed),
                "error_title": title, "error_message": "Choose one of: " + ", ".join(listed) + ".",
            }
        elif spec.kind == "date":
            options = _date_rule(self.ctx)
        elif spec.kind == "money":
            options = {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": int(self.ctx.largest_amount),
                "error_title": "Amount in pounds",
                "error_message": f"Enter an amount in pounds, 0 to {self.ctx.largest_amount:,.0f}, e.g. 1250000.",
            }
        if options is None:
            if spec.help:
                self.ws.data_validation(r, c, r, c, {"validate": "any", "input_title": spec.label[:32],
                                                     "input_message": spec.help[:255]})
            return
        if spec.help:
            options.update(input_title=spec.label[:32], input_message=spec.help[:255])
        self.ws.data_validation(r, c, r, c, options)

    def table(self, spec: F.Table) -> None:
        """A numbered block of input rows under a header; one defined name over all of it."""
        ws, r = self.ws, self.row
        ws.write_string(r, 0, "#", self.fmt["header"])
        for offset, (_, header, _) in enumerate(spec.columns):
            ws.write_string(r, 1 + offset, header, self.fmt["header"])
        for col in range(1 + len(spec.columns), _LAST_COL + 1):
            ws.write_blank(r, col, None, self.fmt["header"])
        first = r + 1
        rows = self.answers.tables.get(spec.name, [])
        for i in range(spec.rows):
            rr = first + i
            ws.set_row(rr, _TABLE_ROW_HEIGHT)
            ws.write_number(rr, 0, i + 1, self.fmt["centre"])
            for offset, (_, _, kind) in enumerate(spec.columns):
                style = {"date": "input_date", "wrap": "input_wrap"}.get(kind, "input_centre")
                value = rows[i][offset] if i < len(rows) and offset < len(rows[i]) else None
                write_value(ws, rr, 1 + offset, value, self.fmt[style])
            for col in range(1 + len(spec.columns), _LAST_COL + 1):
                ws.write_blank(rr, col, None, self.fmt["text"])
        last = first + spec.rows - 1
        self.name(spec.name, (first, 1), (last, len(spec.columns)))
        for offset, (_, header, kind) in enumerate(spec.columns):
            col = 1 + offset
            if kind == "date":
                ws.data_validation(first, col, last, col, _date_rule(self.ctx))
            elif kind in ("milestone_status", "risk_rating"):
                choices = F.MILESTONE_STATUSES if kind == "milestone_status" else F.RISK_RATINGS
                ws.data_validation(first, col, last, col, {
                    "validate": "list", "source": list(choices), "error_title": header,
                    "error_message": "Choose one of: " + ", ".join(choices) + ".",
                })
        if spec.help:
            ws.data_validation(first, 1, last, 1, {"validate": "any", "input_title": spec.label[:32],
                                                  "input_message": spec.help[:255]})
        self.row = last + 2

    def info(self, label: str, value: object) -> None:
        """A locked line for context only (no defined name): programme, delivery organisation."""
        self.ws.merge_range(self.row, 0, self.row, 1, label, self.fmt["label"])
        self._fit_row(self.row, value)
        self.ws.merge_range(self.row, 2, self.row, _LAST_COL, "", self.fmt["locked_wrap"])
        write_value(self.ws, self.row, 2, value, self.fmt["locked_wrap"])
        self.row += 1

    def finish(self) -> None:
        ws = self.ws
        for row, col in self.rag_cells:
            add_rag_formats(ws, self.fmt, row, col, row, col)
        ws.protect("", {
            "format_columns": True, "format_rows": True, "insert_rows": True,
            "select_locked_cells": True, "select_unlocked_cells": True,
        })
        ws.print_area(0, 0, self.row, _LAST_COL)
        ws.set_h_pagebreaks(self.page_breaks)
        print_setup(ws, landscape=False, repeat_rows=None, period=str(self.ctx.period))
        ws.hide_gridlines(2)
        ws.activate()


def _date_rule(ctx: TemplateContext) -> dict[str, Any]:
    """Excel's check on a date cell: a date within the office's plausible range (settings)."""
    return {
        "validate": "date", "criteria": "between", "minimum": ctx.earliest_date, "maximum": ctx.latest_date,
        "error_title": "Date", "error_message": "Enter a date as dd/mm/yyyy, e.g. 31/03/2025.",
    }


def _guidance(workbook, fmt: Formats, ctx: TemplateContext) -> None:
    ws = workbook.add_worksheet(F.GUIDANCE_SHEET)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 95)
    ws.hide_gridlines(2)
    ws.merge_range(0, 0, 0, 1, "How to complete your highlight report", fmt["title"])
    due = uk_date(ctx.due_date)
    steps = [
        f"Fill in the yellow cells on the '{F.SHEET}' sheet. Grey cells are filled in by the "
        f"{ctx.office_name} from the project register; if one is wrong, tell us rather than changing it.",
        "Fields marked * are required: a return with a required field left blank is sent back.",
        "Choose the status this period from the drop-down list, using the RAG definitions below. "
        "Say in your update why you chose it.",
        f"Only if the project cannot be rated this period, choose '{NOT_RATED}' and give the reason "
        f"({', '.join(NOT_RATED_REASONS)}) and a short explanation in the two fields below the status: "
        "the return is then not chased and not counted as missing.",
        "Enter dates as dd/mm/yyyy (for example 31/03/2025). Enter money in pounds as a number.",
        "List this period's key milestones with their status, next period's with their due dates, "
        "and your main risks with their mitigation and rating. Add rows inside a table if you need "
        "more (the sheet allows inserting rows).",
        "Save the file as an Excel workbook (.xlsx) under the same name and email it back to the "
        f"{ctx.office_name}" + (f" ({ctx.office_email})" if ctx.office_email else "") + f" by {due}.",
        "Please do not rename, reorder or delete the sheets, and do not copy your answers into a "
        "different file: the return is read automatically.",
    ]
    r = 2
    for number, step in enumerate(steps, start=1):
        ws.write_string(r, 0, f"Step {number}", fmt["label"])
        ws.write_string(r, 1, step, fmt["wrap"])
        ws.set_row(r, 30)
        r += 1
    r += 1
    ws.merge_range(r, 0, r, 1, "RAG definitions", fmt["section"])
    r += 1
    first = r
    for rating in RAG_SCALE:
        ws.write_string(r, 0, rating, fmt["rag"])
        ws.write_string(r, 1, RAG_DEFINITIONS[rating], fmt["wrap"])
        ws.set_row(r, 42)
        r += 1
    add_rag_formats(ws, fmt, first, 0, r - 1, 0)
    r += 1
    ws.merge_range(r, 0, r, 1, "Milestone status and risk rating", fmt["section"])
    r += 1
    notes = [
        ("Milestone status", "Completed · On track · At risk · Delayed · Not started"),
        ("Risk rating", "High · Medium · Low — how likely the risk is and how much it would hurt delivery."),
        ("Reporting", f"This is a {ctx.frequency.lower()} report covering "
                      f"{uk_date(ctx.window_start)} to {uk_date(ctx.window_end)}."),
    ]
    for label, text in notes:
        ws.write_string(r, 0, label, fmt["label"])
        ws.write_string(r, 1, text, fmt["wrap"])
        r += 1
    print_setup(ws, landscape=False, repeat_rows=None, period=str(ctx.period))
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def _meta(workbook, ctx: TemplateContext) -> None:
    ws = workbook.add_worksheet(F.META_SHEET)
    rows = [
        ("key", "value"),
        ("template_version", F.TEMPLATE_VERSION),
        ("project_id", ctx.project_id),
        ("period", str(ctx.period)),
        ("report_type", ctx.report_type),
        ("frequency", ctx.frequency),
        ("generated_at", ctx.generated_at.isoformat()),
    ]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.very_hidden()


def write_template(path: Path | str, ctx: TemplateContext, answers: Answers | None = None) -> Path:
    """Write one template (or, with `answers`, a filled return) to `path`, atomically."""
    path = Path(path)
    with atomic_workbook(path) as (workbook, fmt):
        workbook.set_properties({
            "title": f"Highlight report {ctx.project_id} {ctx.period}",
            "subject": f"{ctx.report_type} highlight report",
            "company": ctx.office_name,
            "comments": f"pmo template version {F.TEMPLATE_VERSION}",
        })
        sheet = _Sheet(workbook, fmt, ctx, answers)
        sheet.heading()
        by_name = F.FIELD_BY_NAME
        layout: list[tuple[str, list[str]]] = [
            ("Project details", ["project_id", "project_name", "period", "reporting_period_start",
                                 "reporting_period_end", "sponsor", "project_manager", "pmo_support",
                                 "agreed_completion_date", "forecast_completion_date",
                                 "project_description", "project_outcomes"]),
            ("Project status", ["rag_this_period", "not_rated_reason", "not_rated_note", "rag_previous", "pm_update",
                                "sponsor_comments"]),
        ]
        if ctx.report_type == FULL:
            layout += [
                ("Finance", ["budget_approved", "spend_to_date", "forecast_outturn"]),
                ("Next key milestone, outcomes and number 1 risk",
                 ["next_key_milestone", "next_key_milestone_date", "outcomes_and_impacts",
                  "top_risk", "top_risk_mitigation"]),
            ]
        # Each printed page starts at a section: the status pages, then finance or the
        # milestones, then the risks; so no box is cut from its label.
        breaks = {"Finance" if ctx.report_type == FULL else F.TABLE_BY_NAME["milestones_this_period"].label,
                  F.TABLE_BY_NAME["risks"].label}
        for title, names in layout:
            sheet.section(title, new_page=title in breaks)
            for name in names:
                if name == "sponsor" and ctx.programme:
                    sheet.info("Programme", ctx.programme)
                if name == "pmo_support" and ctx.delivery_organisation:
                    sheet.info("Delivery organisation", ctx.delivery_organisation)
                sheet.field(by_name[name])
            sheet.row += 1
        for table in F.TABLES:
            sheet.section(table.label, new_page=table.label in breaks)
            sheet.table(table)
        sheet.section("Sign-off")
        sheet.field(by_name["completed_by"])
        sheet.field(by_name["completed_date"])
        sheet.finish()
        _guidance(workbook, fmt, ctx)
        _meta(workbook, ctx)
    return path


def generate_templates(
    plan: Iterable[dict[str, Any]],
    period: Period,
    out_dir: Path | str,
    settings: Settings,
    history: dict[str, dict[str, Any]] | None = None,
    on_written=None,
) -> list[TemplateInfo]:
    """Write a template for each due project in `plan` into `out_dir`.

    `history` maps Project ID to its latest accepted return before the period (from the
    store), which prefills the previous RAG and the description. Templates left in the
    folder from an earlier run for projects no longer due are removed, so the folder always
    matches the distribution list. `on_written(info)` is called after each file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    history = history or {}
    written: list[TemplateInfo] = []
    for row in plan:
        ctx = TemplateContext.from_plan_row(row, period, settings, history.get(row["project_id"]))
        name = template_name(ctx.project_id, period)
        write_template(out / name, ctx)
        info = TemplateInfo(
            project_id=ctx.project_id, project_name=ctx.project_name, period=str(period),
            report_type=ctx.report_type, frequency=ctx.frequency,
            recipient_name=row.get("project_manager") or "", recipient_email=row.get("project_manager_email") or "",
            copy_to=row.get("internal_representative") or "",
            copy_to_email=row.get("internal_representative_email") or "",
            file=f"templates/{name}", due_date=ctx.due_date,
        )
        written.append(info)
        if on_written:
            on_written(info)
    keep = {Path(i.file).name for i in written}
    for stale in out.glob(f"*_{period}{TEMPLATE_SUFFIX}"):
        if stale.name not in keep:
            stale.unlink()
    return written


