"""The corporate plan's sections of the performance report: Priority Activities and the
Investment Fund Gateway Review commitments.

`load_activities` and `load_commitments` read their sheet (or CSV) and return the good
rows with the problems of the bad ones: a bad row is left out and listed, and the rest
of the report is still built. A sheet that cannot be read at all (missing columns) raises
`ConfigError` (exit 2), as the KPI sheet does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from etl.contracts.tables import read_table, table_problems
from etl.errors import Problem
from etl.rules import rag, values

#: The workbook holding both sheets, in the inputs folder.
PLAN_NAME = "corporate_plan.xlsx"


@dataclass(frozen=True)
class PriorityActivity:
    """One priority activity of a directorate's business plan."""

    row: int
    directorate: str
    business_plan: str | None
    activity: str
    lead: str | None
    due: dt.date | None
    rag: str | None
    commentary: str | None

    def overdue(self, as_of: dt.date) -> bool:
        """Due before `as_of` (the end of the reporting period)."""
        return self.due is not None and self.due < as_of


@dataclass(frozen=True)
class Commitment:
    """One devolution-deal commitment and its evaluation milestone (Gateway Review)."""

    row: int
    commitment: str
    theme: str | None
    milestone: str
    due: dt.date | None
    status: str | None
    commentary: str | None


def _with_sheet(problems: list[Problem], sheet: str) -> list[Problem]:
    from dataclasses import replace

    return [replace(p, sheet=sheet) for p in problems]


def _good_rows(path: Path, sheet: str, headers: dict[str, str], optional: tuple[str, ...], schema, messages):
    raw, letters = read_table(path, sheet, headers, optional=optional)
    problems = table_problems(schema, raw, path, headers, letters, messages)
    if path.suffix.lower() != ".csv":
        problems = _with_sheet(problems, sheet)
    bad = {p.row for p in problems}
    rows = [(int(n), r) for n, r in zip(raw.index, raw.to_dict("records")) if int(n) not in bad]
    return rows, problems


def load_activities(path: Path | str, directorates: Sequence[str]) -> tuple[list[PriorityActivity], list[Problem]]:
    """The Priority Activities in the sheet's order, and the problems of the rows left out."""
    from schemas.corporate_plan import (
        ACTIVITIES_SHEET, ACTIVITY_HEADERS, ACTIVITY_OPTIONAL, activity_messages, activity_schema,
        normalise_directorate,
    )

    directorates = tuple(directorates)
    rows, problems = _good_rows(Path(path), ACTIVITIES_SHEET, ACTIVITY_HEADERS, ACTIVITY_OPTIONAL,
                                activity_schema(directorates), activity_messages(directorates))
    text = values.clean_text
    return [
        PriorityActivity(n, normalise_directorate(r["directorate"], directorates), text(r["business_plan"]),
                         text(r["activity"]), text(r["lead"]), values.parse_date(r["due"]), rag.normalise_rag(r["rag"]),
                         text(r["commentary"]))
        for n, r in rows
    ], problems


def load_commitments(path: Path | str) -> tuple[list[Commitment], list[Problem]]:
    """The Gateway Review commitments in the sheet's order, and the problems of the rows left out."""
    from schemas.corporate_plan import GATEWAY_HEADERS, GATEWAY_OPTIONAL, GATEWAY_SHEET, gateway_messages, gateway_schema

    rows, problems = _good_rows(Path(path), GATEWAY_SHEET, GATEWAY_HEADERS, GATEWAY_OPTIONAL, gateway_schema(),
                                gateway_messages())
    text = values.clean_text
    return [
        Commitment(n, text(r["commitment"]), text(r["theme"]), text(r["milestone"]), values.parse_date(r["due"]),
                   text(r["status"]), text(r["commentary"]))
        for n, r in rows
    ], problems


def activities_by_directorate(activities: Sequence[PriorityActivity]) -> list[tuple[str, list[PriorityActivity]]]:
    """Activities grouped by directorate, each group in order of first appearance."""
    groups: dict[str, list[PriorityActivity]] = {}
    for activity in activities:
        groups.setdefault(activity.directorate, []).append(activity)
    return list(groups.items())


def rag_counts(activities: Sequence[PriorityActivity]) -> dict[str, int]:
    """How many activities have each rating on the five-point scale (and how many none)."""
    counts = {r: 0 for r in rag.RAG_SCALE}
    for activity in activities:
        key = activity.rag or "Not rated"
        counts[key] = counts.get(key, 0) + 1
    return counts


def has_sheet(path: Path | str, sheet: str) -> bool:
    """Whether a workbook has this sheet (any case); a CSV holds one table, so always True."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return True
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return any(n.strip().casefold() == sheet.casefold() for n in book.sheetnames)
    finally:
        book.close()
