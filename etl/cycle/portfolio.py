"""Load and validate the portfolio: one line per project, the PMO's master list.

`load_portfolio` reads `inputs/portfolio.xlsx` (sheet `Projects`) or a `.csv` with the
same headers, validates every value at once and either raises `PortfolioError` listing
every problem (row, column, cell, value) or returns a typed frame indexed by Project ID,
with the reporting frequency and report type worked out. `reporting_plan` says which
projects owe a return for a period, of which type, by when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd

from etl.rules import periods
from etl.rules import values
from etl.config import Settings
from etl.errors import PortfolioError, Problem
from etl.files import file_safe
from etl.contracts.tables import read_table, validate_table
from schemas.checks import canonical_choice
from schemas.portfolio import HEADERS, OPTIONAL_HEADERS, build_schema, messages

SHEET = "Projects"


def load_portfolio(path: Path | str, settings: Settings | None = None) -> pd.DataFrame:
    """The validated portfolio, typed, indexed by Project ID, in the file's order.

    Columns are the fields of `schemas.portfolio.HEADERS` plus `row` (the spreadsheet row),
    `frequency` (after any override) and `report_type` (None for Pipeline and Closed).
    """
    settings = settings or Settings()
    path = Path(path)
    raw, letters = read_table(path, SHEET, HEADERS, optional=OPTIONAL_HEADERS)
    if raw.empty:
        raise PortfolioError(f"{path.name}: the portfolio has no projects")
    clashes = id_clashes(raw, path.name, letters.get("project_id", ""))
    try:
        validate_table(build_schema(settings), raw, path, HEADERS, letters, messages(settings), PortfolioError,
                       "portfolio", adjust=lambda problems: _with_duplicate_rows(problems, raw))
    except PortfolioError as exc:
        if not clashes:
            raise
        reported = {p.row for p in exc.problems if p.code == "field_uniqueness"}
        problems = exc.problems + [p for p in clashes if p.row not in reported]
        raise PortfolioError(f"{path}: {len(problems)} problems in the portfolio; fix them and run again", problems) from None
    if clashes:
        noun = "problem" if len(clashes) == 1 else "problems"
        raise PortfolioError(f"{path}: {len(clashes)} {noun} in the portfolio; fix them and run again", clashes)
    return _typed(raw, settings)


#: Longest Project ID: it becomes part of file names (at most 255 bytes) and e-mail subjects.
MAX_ID_LENGTH = 64


def id_key(value: object) -> str:
    """What a Project ID comes to in a file name on a case-insensitive disk (Windows, macOS):
    as text (the number 101 is "101"), trimmed, made file-safe, case-folded."""
    return file_safe(values.cell_text(value) or "").casefold()


def id_clashes(raw: pd.DataFrame, file: str, letter: str) -> list[Problem]:
    """Project IDs that are different as typed but the same once made text, trimmed, file-safe and
    case-folded (`CPCA/001` and `CPCA-001`; `101` and "101"; `cpca-001` and `CPCA-001`): their
    templates would be one file and their e-mails one draft, so one project's data would reach both
    partners. Also IDs too long to be part of a file name. Each clashing row names the others."""
    problems: list[Problem] = []
    rows: dict[str, list[int]] = {}
    for row, value in raw["project_id"].items():
        text = values.cell_text(value)
        if text is None:
            continue
        if len(text) > MAX_ID_LENGTH:
            problems.append(Problem(
                f"Project ID is {len(text)} characters long; at most {MAX_ID_LENGTH} are allowed (it becomes part of "
                "file names and e-mail subjects)", file=file, code="id_too_long", field="Project ID", row=int(row),
                cell=f"{letter}{row}" if letter else "", value=text[:MAX_ID_LENGTH] + "…"))
        rows.setdefault(id_key(value), []).append(int(row))
    for group in rows.values():
        if len(group) < 2:
            continue
        for row in group:
            others = [r for r in group if r != row]
            shown = ", ".join(f"'{values.cell_text(raw.at[r, 'project_id'])}' on row {r}" for r in others)
            problems.append(Problem(
                f"Project ID '{values.cell_text(raw.at[row, 'project_id'])}' clashes with {shown}: IDs that differ "
                "only in capitals, punctuation or spaces (or as number and text) become the same template file, so "
                "one project's data would be sent to both; give each project a distinct ID", file=file, code="id_clash",
                field="Project ID", row=row, cell=f"{letter}{row}" if letter else "",
                value=values.cell_text(raw.at[row, "project_id"])))
    return sorted(problems, key=lambda p: p.row or 0)


def _with_duplicate_rows(problems: list[Problem], raw: pd.DataFrame) -> list[Problem]:
    """Say, for a duplicate Project ID, which other rows carry it."""
    ids = raw["project_id"].map(values.clean_text)
    out = []
    for problem in problems:
        if problem.field == "Project ID" and problem.message.startswith("duplicate"):
            others = [str(r) for r in ids.index[ids == values.clean_text(problem.value)] if r != problem.row]
            if others:
                noun = "row" if len(others) == 1 else "rows"
                problem = replace(problem, message=f"{problem.message} (also on {noun} {', '.join(others)})")
        out.append(problem)
    return out


def _typed(raw: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Parsed values, column by column, built from plain lists (blank → None, never NaN)."""
    parsers = {key: values.clean_text for key in raw.columns}
    parsers.update(
        stage=lambda v: canonical_choice(v, periods.STAGES),
        district=lambda v: canonical_choice(v, settings.allowed_districts),
        delivery_cost=values.parse_money,
        frequency_override=periods.normalise_frequency,
        agreed_completion_date=values.parse_date,
        most_complex=lambda v: bool(values.parse_yes_no(v)),
        publish=lambda v: values.parse_yes_no(v) is not False,  # blank: published
        latitude=values.parse_number,
        longitude=values.parse_number,
        project_manager_email=lambda v: (values.clean_text(v) or "").lower() or None,
        internal_representative_email=lambda v: (values.clean_text(v) or "").lower() or None,
    )
    columns = {key: [parsers[key](v) for v in raw[key]] for key in raw.columns}
    columns["frequency"] = [
        periods.reporting_frequency(cost, override)
        for cost, override in zip(columns["delivery_cost"], columns["frequency_override"])
    ]
    columns["report_type"] = [periods.report_type(stage) for stage in columns["stage"]]
    columns["row"] = list(raw.index)
    dtypes = {"delivery_cost": "float64", "latitude": "float64", "longitude": "float64", "row": "int64",
              "most_complex": bool, "publish": bool}
    frame = pd.DataFrame(
        {key: pd.Series(data, index=raw.index, dtype=dtypes.get(key, object)) for key, data in columns.items()}
    )
    return frame.set_index("project_id", drop=False).rename_axis("Project ID")


def deadline(period: periods.Period, settings: Settings | None = None) -> dt.date:
    """The day this period's returns are due, by the office's settings (working day, holidays)."""
    settings = settings or Settings()
    return periods.due_date(period, settings.due_working_day, settings.holiday_subdivision)


def reporting_plan(
    portfolio: pd.DataFrame, period: periods.Period, settings: Settings | None = None
) -> pd.DataFrame:
    """Every project with, for this period: `due` (bool), `report_type`, `due_date`,
    `window_start` and `window_end` (the dates the return covers)."""
    settings = settings or Settings()
    due_on = deadline(period, settings)
    plan = portfolio.copy()
    plan["due"] = pd.Series(
        [periods.is_due(s, f, period) for s, f in zip(plan["stage"], plan["frequency"])], index=plan.index, dtype=bool
    )
    plan["due_date"] = pd.Series([due_on] * len(plan), index=plan.index, dtype=object)
    windows = [
        periods.reporting_window(f, period) if f else (period.first_day, period.last_day)
        for f in plan["frequency"]
    ]
    plan["window_start"] = pd.Series([w[0] for w in windows], index=plan.index, dtype=object)
    plan["window_end"] = pd.Series([w[1] for w in windows], index=plan.index, dtype=object)
    return plan


def due_projects(portfolio: pd.DataFrame, period: periods.Period, settings: Settings | None = None) -> pd.DataFrame:
    """The projects that owe a return for this period (see `reporting_plan`)."""
    plan = reporting_plan(portfolio, period, settings)
    return plan[plan["due"]]
