"""The programme highlight report: a programme's workstreams on one Board-ready workbook (seed 000).

`programme_report` gathers, for one programme and period, each workstream's current
accepted return from the store (a workstream without one is kept and shown as Missing),
its status this period and last period, and the overall programme RAG: suggested as the
median of the workstreams' ratings (`etl.rag.median_rag`), or the value the programme
lead sets. `write_highlight` lays it out: a cover sheet (overview, the Individual
Workstream Status table, the overall RAG, the RAG methodology), then one sheet per
workstream laid out like the published report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.errors import ConfigError
from etl.rules.periods import CLOSED, MISSING, NOT_DUE, PAUSED, Period, is_due, reporting_window, return_status
from etl.rules.rag import RAG_DEFINITIONS, RAG_SCALE, direction_of_travel, median_rag, normalise_rag

COVER_SHEET = "Programme Summary"

#: Seed 000's methodology, said of an improvement theme (the project wording of `RAG_DEFINITIONS`).
THEME_RAG_DEFINITIONS: dict[str, str] = {
    rating: text.replace("The project", "The theme").replace("the project", "the improvement theme")
    for rating, text in RAG_DEFINITIONS.items()
}
METHODOLOGY_INTRO = (
    "The Independent Improvement Board have requested implementation of 'RAG Rating' to report progress "
    "against identified areas of activity. It is used for Improvement reports to all Boards and Committees "
    "to ensure a consistent approach. Set out below is the methodology adopted."
)
OVERALL_RULE = (
    "the median of the workstreams' ratings this period on the five-point scale (with an even number, "
    "the worse of the two middle ratings); workstreams without a return are left out."
)


@dataclass
class Workstream:
    """One workstream (a project of the programme) as the report shows it."""

    project_id: str
    name: str
    portfolio: dict[str, Any]
    ret: dict[str, Any] | None  # the current accepted return for the period, or None
    rag_this: str | None
    rag_last: str | None
    window: tuple[dt.date, dt.date] | None = None  # the dates its return covers (its frequency)
    #: without a return: Missing (it was due), Not due (its frequency skips this month) or Paused
    absent_status: str = MISSING
    milestones_this: list[dict[str, Any]] = field(default_factory=list)
    milestones_next: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.ret is None

    @property
    def this_period(self) -> str:
        """What the status table shows this period: the rating, or Missing (Not due, Paused)."""
        return self.absent_status if self.missing else (self.rag_this or "Not stated")

    @property
    def direction(self) -> str | None:
        return None if self.missing else direction_of_travel(self.rag_this, self.rag_last)

    def value(self, name: str) -> Any:
        """A field of the return, falling back to the portfolio (identity fields), typed."""
        raw = (self.ret or {}).get(name)
        if raw in (None, ""):
            fallback = {"sponsor": "sponsor", "project_manager": "project_manager",
                        "agreed_completion_date": "agreed_completion_date",
                        "pmo_support": "internal_representative"}.get(name)
            raw = self.portfolio.get(fallback) if fallback else None
        if name.endswith("_date") or name.startswith("reporting_period_"):
            return _as_date(raw)
        return raw


@dataclass
class ProgrammeReport:
    """Everything the programme highlight workbook shows."""

    programme: str
    period: Period
    workstreams: list[Workstream]
    suggested: str | None
    overall: str | None  # set by the programme lead, or None
    overview: str | None = None

    @property
    def overall_rag(self) -> str | None:
        return self.overall or self.suggested

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """The dates the report covers: its returns' reporting periods (for a workstream
        without one, the window its frequency gives), else the month."""
        starts, ends = [], []
        for w in self.workstreams:
            if w.missing:
                start, end = w.window or (None, None)
            else:
                start, end = w.value("reporting_period_start"), w.value("reporting_period_end")
            starts += [start] if isinstance(start, dt.date) else []
            ends += [end] if isinstance(end, dt.date) else []
        return (min(starts) if starts else self.period.first_day, max(ends) if ends else self.period.last_day)

    @property
    def missing(self) -> list[Workstream]:
        """Workstreams without a return (whatever the reason)."""
        return [w for w in self.workstreams if w.missing]


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _rag_or_none(value: Any) -> str | None:
    try:
        return normalise_rag(value)
    except ValueError:
        return None


def programme_slug(name: str) -> str:
    """`Improvement Plan Phase 2` → `improvement-plan-phase-2` (for file names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "programme"


def highlight_path(outputs: Path | str, programme: str, period: Period) -> Path:
    """`<outputs>/<period>/highlight_<programme-slug>_<period>.xlsx`."""
    return Path(outputs) / str(period) / f"highlight_{programme_slug(programme)}_{period}.xlsx"


def programme_projects(portfolio, programme: str):
    """The portfolio rows of a programme (name matched ignoring case and spacing).

    An unknown programme raises `ConfigError` (exit 2) listing the programmes there are.
    """
    wanted = " ".join(programme.split()).casefold()
    names = portfolio["programme"].map(lambda v: " ".join(str(v).split()).casefold() if v else "")
    rows = portfolio[names == wanted]
    if rows.empty:
        known = sorted({p for p in portfolio["programme"] if p})
        raise ConfigError(
            f"unknown programme '{programme}': the portfolio's programmes are {', '.join(known) or '(none)'}"
        )
    return rows


def parse_overall(value: str | None) -> str | None:
    """The lead's overall RAG as typed (`G`, `green/amber`…); `ConfigError` if it is not a rating."""
    if value is None:
        return None
    try:
        rating = normalise_rag(value)
    except ValueError as exc:
        raise ConfigError(f"--overall: {exc}") from None
    if rating is None:
        raise ConfigError(f"--overall is blank: use one of {', '.join(RAG_SCALE)}")
    return rating


def programme_report(
    portfolio, store, programme: str, period: Period, overall: str | None = None, overview: str | None = None,
) -> ProgrammeReport:
    """Gather the programme's workstreams for the period from the store (None: an empty store).

    "Last period" is the rating the return itself gives for the previous period
    (`rag_previous`, prefilled from history), else the latest earlier accepted return's.
    """
    rows = programme_projects(portfolio, programme)
    current = {r["project_id"]: r for r in store.current_returns(period)} if store else {}
    workstreams = []
    for project_id, row in rows.iterrows():
        if row["stage"] == CLOSED and project_id not in current:
            continue  # a closed workstream reports no more
        ret = current.get(project_id)
        absent = return_status(row["stage"], is_due(row["stage"], row["frequency"], period), None, None)
        rag_last = _rag_or_none(ret.get("rag_previous")) if ret else None
        if rag_last is None and store:
            rag_last = _rag_or_none(store.previous_rag(project_id, period))
        window = reporting_window(row["frequency"], period) if row.get("frequency") else None
        ws = Workstream(project_id, row["project_name"], dict(row), ret,
                        _rag_or_none(ret.get("rag_this_period")) if ret else None, rag_last, window, absent)
        if ret:
            ws.milestones_this = store.milestones(ret["id"], "this")
            ws.milestones_next = store.milestones(ret["id"], "next")
            ws.risks = store.risks(ret["id"])
        workstreams.append(ws)
    suggested = median_rag(w.rag_this for w in workstreams if not w.missing)
    name = next(iter(p for p in rows["programme"] if p), programme)
    return ProgrammeReport(name, period, workstreams, suggested, parse_overall(overall), overview)


def read_overview(path: Path | str) -> str:
    """The lead's overview from a text or Markdown file, as plain paragraphs.

    Headings lose their `#`, emphasis markers go, `-`/`*` bullets become `•`, and lines of
    one paragraph are joined; paragraphs are separated by a blank line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the overview ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in text.splitlines():
        line = line.strip()
        if not line:
            flush()
            continue
        heading = re.match(r"#{1,6}\s+(.*)", line)
        bullet = re.match(r"[-*+]\s+(.*)", line)
        body = heading.group(1) if heading else bullet.group(1) if bullet else line
        line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", body)
        if heading or bullet:
            flush()
            paragraphs.append(f"• {line}" if bullet else line)
        else:
            current.append(line)
    flush()
    return "\n".join(paragraphs)


def build_highlight(
    portfolio_path: Path | str, store_path: Path | str | None, programme: str, period: Period,
    outputs: Path | str, overview_path: Path | str | None = None, overall: str | None = None, settings=None,
) -> tuple[Path, ProgrammeReport]:
    """Load the portfolio, gather the report from the store and write the workbook."""
    from etl.cycle.portfolio import load_portfolio
    from etl.store.backend import store_exists
    from etl.store.db import Store

    portfolio = load_portfolio(portfolio_path, settings)
    overall_rag = parse_overall(overall)  # fail on a bad --overall before any work
    overview = read_overview(overview_path) if overview_path else None
    if store_exists(store_path):
        with Store(store_path) as store:
            report = programme_report(portfolio, store, programme, period, overall_rag, overview)
    else:  # no store yet: no returns, every workstream Missing (never create one here)
        report = programme_report(portfolio, None, programme, period, overall_rag, overview)
    return write_highlight(report, highlight_path(outputs, report.programme, period)), report


# ----------------------------------------------------------------- the workbook

_COVER_WIDTHS = (40, 18, 18, 22)
_SHEET_WIDTHS = (5, 36, 35, 12, 12)


def _sheet_names(workstreams: list[Workstream]) -> list[str]:
    """Unique sheet names (≤31 characters, none of []:*?/\\) from the workstream names."""
    names: list[str] = []
    taken = {COVER_SHEET.casefold()}
    for ws in workstreams:
        base = re.sub(r"[\[\]:*?/\\']", " ", ws.name).strip() or ws.project_id
        base = " ".join(base.split())
        name = base if len(base) <= 31 else base[:30].rstrip(" ,") + "…"
        number = 2
        while name.casefold() in taken:
            suffix = f" ({number})"
            name = base[:31 - len(suffix)].rstrip() + suffix
            number += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def _window_text(start: Any, end: Any) -> str:
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        return f"{start:%d/%m/%Y} - {end:%d/%m/%Y}"
    return ""


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


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
          [(n, m.get("milestone"), m.get("status"), _as_date(m.get("date")))
           for n, m in enumerate(ws.milestones_this, start=1)])
    table("Key Milestones Planned for Next Period",
          (("#", 0, 0), ("Milestone", 1, 3), ("Due date", 4, 4)),
          [(n, m.get("milestone"), _as_date(m.get("date"))) for n, m in enumerate(ws.milestones_next, start=1)])
    table("Project Risks",
          (("#", 0, 0), ("Risk Description", 1, 1), ("Mitigation", 2, 2), ("Rating", 3, 4)),
          [(n, r.get("risk"), r.get("mitigation"), r.get("rating")) for n, r in enumerate(ws.risks, start=1)])
    section("Report Completed")
    pair("Report Completed By", ws.value("completed_by"))
    pair("Completion Date", ws.value("completed_date"), "date")
    print_setup(sheet, landscape=False, repeat_rows=None, period=str(report.period))
