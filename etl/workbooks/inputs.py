"""Write the officers' own input workbooks (portfolio, KPI sheet, close-down actions) from rows.

The example builder and the tests use these to make inputs as an officer keeps them, typing
mistakes included; pmo itself only ever reads these workbooks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from etl.cycle.closedown import SHEET as ACTIONS_SHEET
from etl.cycle.portfolio import SHEET as PORTFOLIO_SHEET
from etl.rules import values
from etl.workbooks.formats import Column, figure_format, write_list_workbook
from schemas.closedown import HEADERS as ACTION_HEADERS
from schemas.kpi import FIGURES
from schemas.kpi import HEADERS as KPI_HEADERS
from schemas.kpi import SHEET as KPI_SHEET
from schemas.portfolio import HEADERS as PORTFOLIO_HEADERS
from schemas.portfolio import OPTIONAL_HEADERS as PORTFOLIO_OPTIONAL


_WRITE_KINDS = {
    "Delivery Cost (£)": ("money", 14),
    "Agreed Completion Date": ("date", 13),
    "Latitude": ("number", 10),
    "Longitude": ("number", 10),
    "Project Name": ("wrap", 34),
    "Override Reason": ("wrap", 30),
}


def write_portfolio(records: list[dict[str, object]], path: Path | str, created: dt.datetime | None = None) -> Path:
    """Write a portfolio workbook (sheet `Projects`) from rows keyed by the contract headers.

    Values are written as given (numbers as numbers, dates as dates, text as text), so a
    test or the example builder can also write the mistakes an officer might type.
    """
    # An optional column is written only when some row gives it, as an officer would leave it out.
    headers = [h for h in PORTFOLIO_HEADERS if h not in PORTFOLIO_OPTIONAL or any(h in r for r in records)]
    columns = [Column(h, h, *_WRITE_KINDS.get(h, ("text", 18))) for h in headers]
    return write_list_workbook(path, PORTFOLIO_SHEET, columns, records, "Project portfolio", created)


_KPI_WIDTHS = {"Metric": ("wrap", 46), "Scorecard Perspective": ("wrap", 22), "Strategic Objective": ("wrap", 22),
               "Indicator of Progress": ("wrap", 22), "Committee": ("wrap", 20)}


def write_kpis(records: list[dict[str, object]], path: Path | str, created: dt.datetime | None = None) -> Path:
    """Write a KPI sheet (sheet `KPIs`) from rows keyed by the contract headers.

    A figure given as text that reads as a number is written as Excel would store it if
    typed: a number, formatted as a percentage when it was typed with `%`. Anything else is
    written as given, so a test can also write the mistakes an officer might type.
    """
    figure_headers = [h for h, f in KPI_HEADERS.items() if f in FIGURES]
    columns = [Column(h, h, *_KPI_WIDTHS.get(h, ("text", 14))) for h in KPI_HEADERS]
    typed: list[dict[str, object]] = []
    percent_cells: list[tuple[int, int, float]] = []
    for number, record in enumerate(records, start=1):
        row = dict(record)
        for header in figure_headers:
            value = row.get(header)
            if isinstance(value, str):
                try:
                    parsed = values.parse_number(value)
                except ValueError:
                    continue
                row[header] = parsed
                if parsed is not None and value.strip().endswith("%"):
                    percent_cells.append((number, list(KPI_HEADERS).index(header), parsed))
        typed.append(row)
    def percent_figures(ws, formats) -> None:
        for row, col, value in percent_cells:
            ws.write_number(row, col, value, formats[figure_format(2, percent=True)])

    return write_list_workbook(path, KPI_SHEET, columns, typed, "Corporate KPIs", created, finish=percent_figures)


def write_actions(records: list[dict[str, object]], path: Path | str, created: dt.datetime | None = None) -> Path:
    """Write an actions workbook (sheet `Actions`) from rows keyed by the headers, as an officer keeps it."""
    widths = {"Theme": 30, "Task/Action": 40, "Activity Undertaken / Evidence": 60, "Activity Outstanding": 40,
              "Destination": 30, "New Phase": 30}
    columns = [Column(h, h, "wrap", widths[h]) for h in ACTION_HEADERS]
    return write_list_workbook(path, ACTIONS_SHEET, columns, records, "Close-down actions", created)


def write_corporate_plan(activities: list[dict[str, object]], commitments: list[dict[str, object]],
                         path: Path | str, created: dt.datetime | None = None) -> Path:
    """Write a corporate plan workbook (sheets `Priority Activities` and `Gateway Review`) from
    rows keyed by the headers, values as given (so a test can also write an officer's mistakes)."""
    from etl.workbooks.formats import atomic_workbook, print_setup, write_table
    from schemas.corporate_plan import ACTIVITIES_SHEET, ACTIVITY_HEADERS, GATEWAY_HEADERS, GATEWAY_SHEET

    widths = {"Activity": 44, "Commentary": 50, "Commitment": 30, "Evaluation Milestone": 36, "Business Plan": 24}
    with atomic_workbook(path) as (workbook, formats):
        properties: dict[str, object] = {"title": "Corporate plan: priority activities and Gateway Review"}
        if created:
            properties["created"] = created
        workbook.set_properties(properties)
        for sheet, headers, records in ((ACTIVITIES_SHEET, ACTIVITY_HEADERS, activities),
                                        (GATEWAY_SHEET, GATEWAY_HEADERS, commitments)):
            ws = workbook.add_worksheet(sheet)
            columns = [Column(h, h, "wrap" if h in widths else "text", widths.get(h, 16)) for h in headers]
            write_table(ws, formats, columns, records)
            print_setup(ws, landscape=True)
    return Path(path)
