"""The corporate scorecard: load the KPI sheet, rate each KPI, keep the period's values in history.

`load_kpis` reads `inputs/kpis.xlsx` (sheet `KPIs`) or a `.csv` with the same headers and
either raises `KpiError` (exit 2) listing every bad cell, or returns typed `Kpi`s.
`score_kpis` applies the rules of `etl.rules.kpi_rules` (Appendix 5) with the store's history: a blank
previous figure is taken from the last period on record, and each KPI carries its series
for a sparkline. `record_kpi_values` writes the period's figures and ratings to the store's
`kpi_values` table in one transaction, so the next period's report reads them back.
`etl.office.Office.scorecard` does all of it and writes the workbook (see `etl.workbooks.scorecard`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.rules import kpi_rules, rag
from etl.rules import values
from etl.errors import KpiError
from etl.rules.periods import Period
from etl.store.db import Store, now_iso
from etl.rules.dates import stored_date
from etl.contracts.tables import read_table, validate_table

#: Where the corporate performance report goes, under `<outputs>/<period>/`.
REPORT_NAME = "corporate_performance_report_{period}.xlsx"


@dataclass(frozen=True)
class Kpi:
    """One line of the KPI sheet, typed."""

    row: int
    perspective: str
    objective: str
    indicator: str | None
    metric: str
    ownership: str | None
    reporting_period: str | None
    latest_data: str | None
    direction: str  # ↑ or ↓
    previous: float | None
    current: float | None
    target: float | None
    status: str | None  # None, or one of kpi_rules.KPI_STATUSES
    committee: str | None
    percent: bool = False  # figures are percentages (typed as `62.6%` or formatted as %)


@dataclass(frozen=True)
class ScoredKpi:
    """A KPI with its previous figure (from the sheet or from history) and its ratings."""

    kpi: Kpi
    previous: float | None
    #: The period the previous figure was taken from when the sheet left it blank.
    previous_period: str | None
    travel: str | None
    rag_direction: str | None
    rag_target: str | None
    #: (period, value) for the periods on record before this one, then this period.
    history: tuple[tuple[str, float | None], ...] = ()

    @property
    def previous_from_history(self) -> bool:
        return self.previous_period is not None

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
        columns = [column_index_from_string(letters[f]) - 1 for f in FIGURES if f in letters]
        rows: set[int] = set()
        for number, cells in enumerate(book[name].iter_rows(), start=1):
            for index in columns:
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


def load_kpis(path: Path | str) -> list[Kpi]:
    """The validated KPIs, in the sheet's order; `KpiError` naming every bad cell otherwise."""
    from schemas.kpi import FIGURES, HEADERS, OPTIONAL_HEADERS, SHEET, build_schema, messages
    from schemas.kpi import normalise_committee, normalise_status

    path = Path(path)
    raw, letters = read_table(path, SHEET, HEADERS, optional=OPTIONAL_HEADERS)
    if raw.empty:
        raise KpiError(f"{path}: the KPI sheet has no KPIs")
    validate_table(build_schema(), raw, path, HEADERS, letters, messages(), KpiError, "KPI sheet")
    formatted = _percent_rows_from_formats(path, letters) if path.suffix.lower() in (".xlsx", ".xlsm") else set()
    kpis = []
    for number, record in zip(raw.index, raw.to_dict("records")):
        typed_percent = any(isinstance(record[f], str) and record[f].strip().endswith("%") for f in FIGURES)
        text = {k: values.clean_text(record[k]) for k in
                ("perspective", "objective", "indicator", "metric", "ownership", "reporting_period")}
        kpis.append(
            Kpi(
                row=int(number),
                **text,
                latest_data=_latest_data_text(record["latest_data"]),
                direction=kpi_rules.normalise_direction(record["direction"]),
                previous=_figure(record["previous"]),
                current=_figure(record["current"]),
                target=_figure(record["target"]),
                status=normalise_status(record["status"]),
                committee=normalise_committee(record["committee"]),
                percent=typed_percent or int(number) in formatted,
            )
        )
    return kpis


# ----------------------------------------------------------------------------- history


def kpi_history(store: Store, before: Period | str) -> dict[str, list[tuple[str, float | None]]]:
    """Metric → [(period, value)] for every period on record before this one, oldest first."""
    history: dict[str, list[tuple[str, float | None]]] = {}
    rows = store.db.execute(
        "SELECT metric, period, value FROM kpi_values WHERE period < ? ORDER BY metric, period", (str(before),)
    )
    for row in rows:
        history.setdefault(row["metric"], []).append((row["period"], row["value"]))
    return history


def record_kpi_values(store: Store, period: Period | str, scored: list[ScoredKpi]) -> None:
    """Replace the period's KPI values in the store with these, in one transaction."""
    stamp = now_iso()
    with store.transaction() as db:
        db.execute("DELETE FROM kpi_values WHERE period = ?", (str(period),))
        db.executemany(
            "INSERT INTO kpi_values (period, metric, value, previous_value, target, status, rag_direction,"
            " rag_target, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (str(period), s.kpi.metric, s.kpi.current, s.previous, s.kpi.target, s.kpi.status,
                 s.rag_direction, s.rag_target, stamp)
                for s in scored
            ],
        )


# ----------------------------------------------------------------------------- scoring


def score_kpi(kpi: Kpi, period: Period | str, earlier: list[tuple[str, float | None]] | None = None) -> ScoredKpi:
    """Rate one KPI. `earlier` is its history before this period (oldest first); a blank
    previous figure on the sheet is taken from the latest period on record."""
    earlier = earlier or []
    previous, previous_period = kpi.previous, None
    if previous is None:
        recorded = [(p, v) for p, v in earlier if v is not None]
        if recorded:
            previous_period, previous = recorded[-1]
    rag_direction, rag_target = kpi_rules.kpi_ratings(kpi.current, previous, kpi.target, kpi.direction, kpi.status)
    history = tuple(earlier) + ((str(period), kpi.current),) if earlier else ()
    return ScoredKpi(
        kpi, previous, previous_period, kpi_rules.kpi_direction_of_travel(kpi.current, previous),
        rag_direction, rag_target, history,
    )


def score_kpis(
    kpis: list[Kpi], period: Period | str, history: dict[str, list[tuple[str, float | None]]] | None = None
) -> list[ScoredKpi]:
    history = history or {}
    return [score_kpi(k, period, history.get(k.metric)) for k in kpis]


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


def most_complex_projects(store: Store, portfolio: pd.DataFrame, period: Period | str) -> list[ComplexProject]:
    """Every project flagged Most Complex, in portfolio order, from its latest accepted return
    up to this period; a project with no return on record is listed as such."""
    flagged = portfolio[portfolio["most_complex"]]
    latest = store.latest_returns(up_to=period)
    out = []
    for project_id, project in flagged.iterrows():
        found = latest.get(str(project_id))
        if found is None:
            out.append(ComplexProject(str(project_id), project["project_name"]))
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
            )
        )
    return out


# ----------------------------------------------------------------------------- the run


@dataclass
class ScorecardRun:
    """What a scorecard run produced, for the CLI's summary."""

    path: Path
    period: Period
    scored: list[ScoredKpi]
    projects: list[ComplexProject]

    @property
    def red(self) -> list[ScoredKpi]:
        return [s for s in self.scored if s.is_red]

    @property
    def counts(self) -> dict[str, int]:
        """How many KPIs have each rating against their direction for improvement."""
        counts: dict[str, int] = {}
        for s in self.scored:
            key = s.rag_direction or "Not rated"
            counts[key] = counts.get(key, 0) + 1
        return counts
