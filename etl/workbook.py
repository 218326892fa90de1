"""The one place workbook formats live: styles, RAG colours, tables, print set-up, safe writing.

Every workbook pmo writes goes through here, so they all look alike and keep the house
rules: text is written as text (never a formula or a link), dates are UK `dd/mm/yyyy`,
money is `£#,##0`, RAG cells are coloured by conditional formats (a later hand edit
recolours them), header rows are styled, frozen and filtered, pages print A4 with the file
name, period and page number in the footer, and a workbook appears at its path only when
it is complete (written to a temporary file, then renamed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from etl.files import atomic_path
from etl.rag import RAG_SCALE

FONT = "Arial"
NAVY = "#1F3864"
LIGHT = "#D9E1F2"
GRID = "#A6A6A6"
INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#EDEDED"

#: Fill and font colour for each rating. Five project colours, and Blue for KPIs.
RAG_COLOURS: dict[str, tuple[str, str]] = {
    "Green": ("#00B050", "#FFFFFF"),
    "Green/Amber": ("#92D050", "#000000"),
    "Amber": ("#FFC000", "#000000"),
    "Amber/Red": ("#F4B183", "#000000"),
    "Red": ("#C00000", "#FFFFFF"),
    "Blue": ("#0070C0", "#FFFFFF"),
}
KPI_RATINGS: tuple[str, ...] = ("Blue", "Green", "Amber", "Red")

DATE_FORMAT = "dd/mm/yyyy"
MONEY_FORMAT = "£#,##0"

WORKBOOK_OPTIONS = {
    # Text from returns must stay text: never a formula, a link or a number.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": DATE_FORMAT,
    "remove_timezone": True,
    # Assemble the file in memory: xlsxwriter's per-part temporary files cost a quarter of
    # the time of writing a small template.
    "in_memory": True,
}


class Formats:
    """The named formats of one workbook, created once each and reused."""

    _SPECS: dict[str, dict[str, Any]] = {
        "title": {"bold": True, "font_size": 16, "font_color": NAVY},
        "subtitle": {"italic": True, "font_size": 10, "font_color": "#595959"},
        "section": {"bold": True, "font_size": 12, "font_color": "#FFFFFF", "bg_color": NAVY},
        "header": {
            "bold": True, "font_color": "#FFFFFF", "bg_color": NAVY, "text_wrap": True,
            "valign": "vcenter", "border": 1, "border_color": GRID,
        },
        "label": {"bold": True, "bg_color": LIGHT, "text_wrap": True, "valign": "vcenter", "border": 1, "border_color": GRID},
        "text": {"valign": "top", "border": 1, "border_color": GRID},
        "wrap": {"text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        "centre": {"align": "center", "valign": "top", "border": 1, "border_color": GRID},
        "date": {"num_format": DATE_FORMAT, "align": "left", "valign": "top", "border": 1, "border_color": GRID},
        "money": {"num_format": MONEY_FORMAT, "valign": "top", "border": 1, "border_color": GRID},
        "int": {"num_format": "#,##0", "valign": "top", "border": 1, "border_color": GRID},
        "number": {"num_format": "#,##0.00", "valign": "top", "border": 1, "border_color": GRID},
        "percent": {"num_format": "0.0%", "valign": "top", "border": 1, "border_color": GRID},
        "arrow": {"align": "center", "valign": "top", "font_size": 12, "bold": True, "border": 1, "border_color": GRID},
        "rag": {"align": "center", "valign": "top", "bold": True, "border": 1, "border_color": GRID},
        "note": {"italic": True, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"},
        "bold": {"bold": True},
        "plain": {},
        # Locked cells a partner must not change (identity), shaded grey.
        "locked": {"bg_color": LOCKED_FILL, "valign": "top", "border": 1, "border_color": GRID, "locked": True},
        "locked_date": {
            "bg_color": LOCKED_FILL, "num_format": DATE_FORMAT, "align": "left", "valign": "top",
            "border": 1, "border_color": GRID, "locked": True,
        },
        "locked_wrap": {
            "bg_color": LOCKED_FILL, "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID,
            "locked": True,
        },
        # Cells a partner fills in: unlocked and visibly styled as inputs.
        "input": {"bg_color": INPUT_FILL, "valign": "top", "border": 1, "border_color": "#BF9000", "locked": False},
        "input_wrap": {
            "bg_color": INPUT_FILL, "text_wrap": True, "valign": "top", "border": 1,
            "border_color": "#BF9000", "locked": False,
        },
        "input_date": {
            "bg_color": INPUT_FILL, "num_format": DATE_FORMAT, "align": "left", "valign": "top",
            "border": 1, "border_color": "#BF9000", "locked": False,
        },
        "input_money": {
            "bg_color": INPUT_FILL, "num_format": MONEY_FORMAT, "valign": "top", "border": 1,
            "border_color": "#BF9000", "locked": False,
        },
        "input_centre": {
            "bg_color": INPUT_FILL, "align": "center", "valign": "top", "bold": True, "border": 1,
            "border_color": "#BF9000", "locked": False,
        },
        # etl/validation_report.py: when a return was received, to the minute.
        "datetime": {"num_format": "dd/mm/yyyy hh:mm", "align": "left", "valign": "top", "border": 1,
                     "border_color": GRID},
    }

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str):
        if name not in self._cache:
            spec = {"font_name": FONT, "font_size": 10, **self._SPECS[name]}
            self._cache[name] = self.workbook.add_format(spec)
        return self._cache[name]

    def rag_fill(self, rating: str):
        """The conditional-format style for a rating (fill and font colour)."""
        key = f"rag:{rating}"
        if key not in self._cache:
            fill, font = RAG_COLOURS[rating]
            self._cache[key] = self.workbook.add_format({"bg_color": fill, "font_color": font, "bold": True})
        return self._cache[key]


def new_workbook(path: Path | str) -> tuple[Workbook, Formats]:
    """An xlsxwriter workbook with the house options, and its formats."""
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    return workbook, Formats(workbook)


@contextlib.contextmanager
def atomic_workbook(path: Path | str) -> Iterator[tuple[Workbook, Formats]]:
    """Write a workbook to a temporary file beside `path`; rename it into place on success.

    An interrupted or failing run leaves the previous file at `path` untouched.
    """
    with atomic_path(path) as tmp:
        workbook, formats = new_workbook(tmp)
        try:
            yield workbook, formats
        except BaseException:
            with contextlib.suppress(Exception):
                workbook.close()
            raise
        workbook.close()


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
            return True
    except (TypeError, ValueError, ImportError):
        pass
    return isinstance(value, str) and not value.strip()


def write_value(ws: Worksheet, row: int, col: int, value: object, fmt=None) -> None:
    """Write one value by its Python type; text always as a string, never a formula."""
    if is_blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Yes" if value else "No", fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, value, fmt)
    elif hasattr(value, "to_pydatetime"):  # pandas Timestamp
        ws.write_datetime(row, col, value.to_pydatetime().replace(tzinfo=None), fmt)
    elif hasattr(value, "item"):  # numpy scalar
        write_value(ws, row, col, value.item(), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


@dataclass(frozen=True)
class Column:
    """One column of a list sheet: its header, the key of the value, how to show it."""

    header: str
    key: str
    kind: str = "text"  # text, wrap, centre, date, money, int, number, percent, rag, kpi_rag, arrow
    width: float = 14

    @property
    def format_name(self) -> str:
        return {"rag": "rag", "kpi_rag": "rag"}.get(self.kind, self.kind)


def write_table(
    ws: Worksheet,
    formats: Formats,
    columns: Sequence[Column],
    rows: Iterable[dict[str, object]],
    first_row: int = 0,
    first_col: int = 0,
    autofilter: bool = True,
    freeze: bool = True,
    row_height: float | None = None,
) -> int:
    """Write a header row and the rows below it; returns the number of data rows.

    Sets column widths, freezes the header, adds an autofilter, and colours RAG columns
    with conditional formats over the written range (and the rows a user may add below).
    """
    for offset, column in enumerate(columns):
        ws.set_column(first_col + offset, first_col + offset, column.width)
        ws.write_string(first_row, first_col + offset, column.header, formats["header"])
    count = 0
    for count, record in enumerate(rows, start=1):
        r = first_row + count
        for offset, column in enumerate(columns):
            write_value(ws, r, first_col + offset, record.get(column.key), formats[column.format_name])
        if row_height:
            ws.set_row(r, row_height)
    last_row = first_row + max(count, 1)
    if autofilter:
        ws.autofilter(first_row, first_col, last_row, first_col + len(columns) - 1)
    if freeze:
        ws.freeze_panes(first_row + 1, 0)
    for offset, column in enumerate(columns):
        if column.kind in ("rag", "kpi_rag"):
            ratings = KPI_RATINGS if column.kind == "kpi_rag" else RAG_SCALE
            # Colour well past the data so a row pasted in later is coloured too.
            add_rag_formats(ws, formats, first_row + 1, first_col + offset, last_row + 500, first_col + offset, ratings)
    return count


def add_rag_formats(
    ws: Worksheet,
    formats: Formats,
    first_row: int,
    first_col: int,
    last_row: int,
    last_col: int,
    ratings: Sequence[str] = RAG_SCALE,
) -> None:
    """Conditional formats colouring each rating in the range (Excel compares case-insensitively)."""
    for rating in ratings:
        ws.conditional_format(
            first_row, first_col, last_row, last_col,
            {"type": "cell", "criteria": "equal to", "value": f'"{rating}"', "format": formats.rag_fill(rating)},
        )


def print_setup(
    ws: Worksheet,
    *,
    landscape: bool = True,
    repeat_rows: tuple[int, int] | None = (0, 0),
    period: str = "",
    fit_width: bool = True,
) -> None:
    """A4, fitted one page wide, header rows repeated, footer: file name, period, page X of Y."""
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if fit_width:
        ws.fit_to_pages(1, 0)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    centre = f"Period {period}" if period else ""
    ws.set_footer(f"&L&8&F&C&8{_escape_footer(centre)}&R&8Page &P of &N")


def _escape_footer(text: str) -> str:
    # '&' starts a control code in headers and footers.
    return text.replace("&", "&&")


# etl/validation_report.py: problem severities, coloured like Excel's "bad" and "neutral" styles.
SEVERITY_COLOURS: dict[str, tuple[str, str]] = {
    "Error": ("#FFC7CE", "#9C0006"),
    "Warning": ("#FFEB9C", "#9C5700"),
}


def add_text_fills(
    ws: Worksheet,
    formats: Formats,
    first_row: int,
    first_col: int,
    last_row: int,
    last_col: int,
    colours: dict[str, tuple[str, str]],
) -> None:
    """Conditional formats filling each cell equal to one of `colours`' texts with its (fill, font)."""
    for text, (fill, font) in colours.items():
        key = f"fill:{fill}:{font}"
        if key not in formats._cache:
            formats._cache[key] = formats.workbook.add_format({"bg_color": fill, "font_color": font, "bold": True})
        ws.conditional_format(
            first_row, first_col, last_row, last_col,
            {"type": "cell", "criteria": "equal to", "value": f'"{text}"', "format": formats._cache[key]},
        )
