"""The programme highlight report: a programme's workstreams on one Board-ready workbook (seed 000).

`programme_report` gathers, for one programme and period, each workstream's current
accepted return from the store (a workstream without one is kept and shown as Missing),
its status this period and last period, and the overall programme RAG: suggested as the
median of the workstreams' ratings (`etl.rules.rag.median_rag`), or the value the programme
lead sets. `etl.workbooks.highlight` lays it out: a cover sheet (overview, the Individual
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
from etl.rules.dates import stored_date_or_text
from etl.rules.periods import CLOSED, MISSING, Period, is_due, reporting_window, return_status
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
            return stored_date_or_text(raw)
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



