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
from typing import Any, Callable, Iterable, Iterator, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from etl.files import atomic_path
from etl.rules.kpi_rules import KPI_RAG_SCALE
from etl.rules.rag import RAG_SCALE

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
        # A rating followed by its period, `Amber (2024-07)`: coloured by the rating it begins with.
        "rag_labelled": {"align": "center", "valign": "top", "bold": True, "text_wrap": True, "border": 1,
                         "border_color": GRID},
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
        # Board papers with long narrative (highlight report, close-down tracker).
        "paragraph": {"text_wrap": True, "valign": "top"},
        "rag_large": {
            "align": "center", "valign": "vcenter", "bold": True, "font_size": 12, "border": 2,
            "border_color": NAVY,
        },
        "banner": {"bold": True, "italic": True, "font_color": "#7F6000", "bg_color": INPUT_FILL, "text_wrap": True,
                   "valign": "vcenter", "border": 1, "border_color": "#BF9000"},
        "total_label": {"bold": True, "valign": "top", "top": 2, "bottom": 1, "border_color": GRID},
        "total_int": {"bold": True, "num_format": "#,##0", "valign": "top", "top": 2, "bottom": 1, "border_color": GRID},
        # Soft fills for category rows (close-down destinations): wrapped, bordered text.
        "soft_blue": {"bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        "soft_green": {"bg_color": "#E2EFDA", "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        "soft_peach": {"bg_color": "#FCE4D6", "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        "soft_lilac": {"bg_color": "#E4DFEC", "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        # The corporate performance report.
        "wrap_bold": {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "border_color": GRID},
        "wrap_note": {
            "italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top", "border": 1,
            "border_color": GRID,
        },
        "subsection": {
            "bold": True, "font_size": 11, "font_color": NAVY, "bg_color": LIGHT, "valign": "vcenter",
            "border": 1, "border_color": GRID,
        },
        "sparkline_cell": {"border": 1, "border_color": GRID},
        # KPI figures keep the decimals they were typed with: figure[_pct][_signed]_<decimals>.
        **{
            f"figure{'_pct' if pct else ''}{'_signed' if signed else ''}_{places}": {
                "num_format": (lambda f, s=signed: f"+{f};-{f};{f}" if s else f)(
                    ("0" if pct else "#,##0") + ("." + "0" * places if places else "") + ("%" if pct else "")
                ),
                "valign": "top", "border": 1, "border_color": GRID,
            }
            for pct in (False, True) for signed in (False, True) for places in range(4)
        },
        # The register.
        "figure": {"num_format": "#,##0", "bold": True, "align": "center", "valign": "top", "border": 1, "border_color": GRID},
        "header_centre": {
            "bold": True, "font_color": "#FFFFFF", "bg_color": NAVY, "text_wrap": True, "align": "center",
            "valign": "vcenter", "border": 1, "border_color": GRID,
        },
        "total": {"num_format": "#,##0", "bold": True, "bg_color": LIGHT, "align": "center", "valign": "top", "border": 1, "border_color": GRID},
        "total_label_boxed": {"bold": True, "bg_color": LIGHT, "valign": "top", "border": 1, "border_color": GRID},
        "count": {"num_format": "#,##0", "align": "center", "valign": "top", "border": 1, "border_color": GRID},
        "datetime": {"num_format": "dd/mm/yyyy hh:mm", "align": "left", "valign": "top", "border": 1, "border_color": GRID},
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
    # Fast paths for the common plain types (a register writes hundreds of thousands of cells).
    kind = type(value)
    if kind is str:
        return not value.strip()
    if kind is int or kind is bool or kind is dt.date or kind is dt.datetime:
        return False
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
            return True
    except (TypeError, ValueError, ImportError):
        pass
    return isinstance(value, str) and not value.strip()


#: The most characters an Excel cell holds.
CELL_TEXT_LIMIT = 32_767


def fit_cell_text(text: str) -> str:
    """Text that fits a cell: over Excel's limit it is cut with a note saying so (never silently)."""
    if len(text) <= CELL_TEXT_LIMIT:
        return text
    note = f" … [cut here: the full text is {len(text):,} characters, over Excel's {CELL_TEXT_LIMIT:,} a cell holds]"
    return text[:CELL_TEXT_LIMIT - len(note)] + note


def write_value(ws: Worksheet, row: int, col: int, value: object, fmt=None) -> None:
    """Write one value by its Python type; text always as a string, never a formula; text too
    long for a cell is cut with a visible note (`fit_cell_text`)."""
    if type(value) is str and value.strip():  # the common case first: text, written as text
        ws.write_string(row, col, fit_cell_text(value), fmt)
    elif is_blank(value):
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
        ws.write_string(row, col, fit_cell_text(str(value)), fmt)


@dataclass(frozen=True)
class Column:
    """One column of a list sheet: its header, the key of the value, how to show it."""

    header: str
    key: str
    kind: str = "text"  # a format name: text, wrap, centre, date, money, int, number, percent, rag, arrow
    width: float = 14


def write_table(
    ws: Worksheet,
    formats: Formats,
    columns: Sequence[Column],
    rows: Iterable[dict[str, object]],
    first_row: int = 0,
    first_col: int = 0,
    autofilter: bool = True,
    freeze: bool = True,
    rag_last_row: int | None = None,
    widths: bool = True,
) -> int:
    """Write a header row and the rows below it; returns the number of data rows.

    Sets column widths (unless `widths` is False: a sheet with its own grid, holding several
    small tables), freezes the header, adds an autofilter, and colours RAG columns with
    conditional formats over the written range (and the rows a user may add below).
    """
    for offset, column in enumerate(columns):
        if widths:
            ws.set_column(first_col + offset, first_col + offset, column.width)
        ws.write_string(first_row, first_col + offset, column.header, formats["header"])
    count = 0
    cells = [(first_col + offset, column.key, formats[column.kind]) for offset, column in enumerate(columns)]
    for count, record in enumerate(rows, start=1):
        r = first_row + count
        for col, key, fmt in cells:
            write_value(ws, r, col, record.get(key), fmt)
    last_row = first_row + max(count, 1)
    if autofilter:
        ws.autofilter(first_row, first_col, last_row, first_col + len(columns) - 1)
    if freeze:
        ws.freeze_panes(first_row + 1, 0)
    for offset, column in enumerate(columns):
        if column.kind in ("rag", "rag_labelled"):
            # Colour well past the data so a row pasted in later is coloured too.
            end = rag_last_row if rag_last_row is not None else last_row + 500
            add = add_rag_formats if column.kind == "rag" else add_labelled_rag_formats
            add(ws, formats, first_row + 1, first_col + offset, end, first_col + offset)
    return count


def colour_format(formats: Formats, fill: str | None = None, font: str = "#000000",
                  bold: bool = False, italic: bool = False):
    """A conditional-format style that sets only colours and emphasis (one per workbook)."""
    key = f"colour:{fill}:{font}:{bold}:{italic}"
    if key not in formats._cache:
        spec: dict[str, Any] = {"font_color": font, "bold": bold, "italic": italic}
        if fill:
            spec["bg_color"] = fill
        formats._cache[key] = formats.workbook.add_format(spec)
    return formats._cache[key]


def add_equal_formats(
    ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int, styles: dict[str, Any],
) -> None:
    """Conditional formats: a cell in the range equal to a key (Excel compares case-insensitively)
    takes that key's style, so a later hand edit recolours."""
    for text, style in styles.items():
        ws.conditional_format(
            first_row, first_col, last_row, last_col,
            {"type": "cell", "criteria": "equal to", "value": f'"{text}"', "format": style},
        )


def add_rag_formats(
    ws: Worksheet,
    formats: Formats,
    first_row: int,
    first_col: int,
    last_row: int,
    last_col: int,
    ratings: Sequence[str] = RAG_SCALE,
) -> None:
    """Conditional formats colouring each rating in the range."""
    add_equal_formats(ws, first_row, first_col, last_row, last_col, {r: formats.rag_fill(r) for r in ratings})


def add_labelled_rag_formats(ws: Worksheet, formats: Formats, first_row: int, first_col: int, last_row: int,
                             last_col: int) -> None:
    """Conditional formats colouring cells that begin with a rating (`Amber (2024-07)`).

    The two-colour ratings are tried first and stop there, so `Green/Amber (…)` is not
    coloured as `Green`."""
    for rating in sorted(RAG_SCALE, key=len, reverse=True):
        ws.conditional_format(first_row, first_col, last_row, last_col, {
            "type": "text", "criteria": "begins with", "value": f"{rating} (", "format": formats.rag_fill(rating),
            "stop_if_true": True,
        })


#: xlsxwriter's paper codes for the sizes pmo prints on.
PAPER = {"A4": 9, "A3": 8}


def print_setup(
    ws: Worksheet,
    *,
    landscape: bool = True,
    repeat_rows: tuple[int, int] | None = (0, 0),
    period: str = "",
    fit_width: bool = True,
    paper: str = "A4",
    page_columns: Sequence[int] = (),
    repeat_columns: tuple[int, int] | None = None,
    scale: int | None = None,
    heading: str = "",
) -> None:
    """A4 (or `paper`), fitted one page wide, header rows repeated, footer: file name, period,
    page X of Y; `heading`, if given, printed atop every page.

    A sheet too wide to read on one page instead names where its printed pages break
    (`page_columns`, the first column of each page after the first) and a `scale`, keeping
    `repeat_columns` (its identifying columns) on every page."""
    ws.set_paper(PAPER[paper])
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if page_columns:
        ws.set_v_pagebreaks(list(page_columns))
        if scale:
            ws.set_print_scale(scale)
    elif fit_width:
        ws.fit_to_pages(1, 0)
    if repeat_columns is not None:
        ws.repeat_columns(*repeat_columns)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    centre = f"Period {period}" if period else ""
    ws.set_footer(f"&L&8&F&C&8{_escape_footer(centre)}&R&8Page &P of &N")
    if heading:  # what the printed list is, atop every page (e.g. what the changes are since)
        ws.set_header(f"&C&10{_escape_footer(heading)}")


def _escape_footer(text: str) -> str:
    # '&' starts a control code in headers and footers.
    return text.replace("&", "&&")


# ----------------------------------------------------------------- long text and plain fills

#: Row height (points) of one line of 10 pt Arial with wrapping, and Excel's maximum.
LINE_HEIGHT = 12.75
MAX_ROW_HEIGHT = 409.0
#: The soft category fills, in the order categories are given them.
SOFT_FILLS: tuple[str, ...] = ("soft_blue", "soft_green", "soft_peach", "soft_lilac")


def chars_per_line(width: float) -> int:
    """Characters of ordinary 10-point text that fit on one line of a column `width` wide."""
    return max(int(width * 1.25) - 1, 1)


def wrapped_lines(text: object, width: float) -> int:
    """Lines a text needs in a wrapped cell `width` characters wide (an estimate, as Excel's is)."""
    if is_blank(text):
        return 1
    per_line = chars_per_line(width)
    return sum(max(math.ceil(len(part) / per_line), 1) for part in str(text).splitlines() or [""])


def row_height(text: object, width_chars: float, minimum: float = LINE_HEIGHT) -> float:
    """The row height that shows all of `text` wrapped at `width_chars` (capped at Excel's maximum)."""
    return min(MAX_ROW_HEIGHT, max(minimum, wrapped_lines(text, width_chars) * LINE_HEIGHT + 3))


def tallest_row(cells: Iterable[tuple[object, float]]) -> float:
    """The height of a row that shows all of each (text, column width) cell's wrapped text."""
    return max((row_height(text, width) for text, width in cells), default=row_height(None, 1))


def split_long_text(text: str, width_chars: float) -> list[str]:
    """Pieces of `text`, each short enough for one row, split at paragraph, then sentence, then word ends."""
    max_lines = int((MAX_ROW_HEIGHT - 3) // LINE_HEIGHT) - 1
    pieces: list[str] = []
    current = ""

    def fits(candidate: str) -> bool:
        return wrapped_lines(candidate, width_chars) <= max_lines

    def units(paragraph: str) -> list[str]:
        if fits(paragraph):
            return [paragraph]
        words, out, line = paragraph.split(" "), [], ""
        for word in words:
            trial = f"{line} {word}" if line else word
            if line and not fits(trial):
                out.append(line)
                trial = word
            line = trial
        return out + ([line] if line else [])

    for paragraph in str(text).split("\n"):
        for unit in units(paragraph):
            trial = f"{current}\n{unit}" if current else unit
            if current and not fits(trial):
                pieces.append(current)
                trial = unit
            current = trial
    if current or not pieces:
        pieces.append(current)
    return pieces


def write_long_text(
    ws: Worksheet,
    formats: Formats,
    row: int,
    first_col: int,
    last_col: int,
    text: object,
    width_chars: float,
    fmt: str = "wrap",
) -> int:
    """Write wrapped text across columns, over as many rows as it needs to print whole.

    Each row is merged across the columns and given the height its text needs; text too
    long for one row (Excel caps a row at 409 points) continues on the next. Text is
    always written as text. Returns the next free row.
    """
    for piece in split_long_text("" if is_blank(text) else str(text), width_chars):
        if last_col > first_col:
            ws.merge_range(row, first_col, row, last_col, "", formats[fmt])
        if piece:
            ws.write_string(row, first_col, piece, formats[fmt])
        else:
            ws.write_blank(row, first_col, None, formats[fmt])
        ws.set_row(row, row_height(piece, width_chars))
        row += 1
    return row


#: Colour of a status that is not a rating, e.g. a workstream whose return is missing.
MISSING_COLOURS: tuple[str, str] = ("#D9D9D9", "#404040")


def add_value_format(
    ws: Worksheet, formats: Formats, first_row: int, first_col: int, last_row: int, last_col: int,
    value: str, colours: tuple[str, str] = MISSING_COLOURS,
) -> None:
    """Colour cells equal to `value` (e.g. "Missing") by a conditional format, like the RAG ones."""
    add_equal_formats(ws, first_row, first_col, last_row, last_col,
                      {value: colour_format(formats, colours[0], colours[1], italic=True)})


def write_list_workbook(
    path: Path | str,
    sheet: str,
    columns: Sequence[Column],
    records: Iterable[dict[str, object]],
    title: str,
    created: dt.datetime | None = None,
    finish: Callable[[Worksheet, Formats], None] | None = None,
) -> Path:
    """A one-sheet list workbook (an officer's input: portfolio, actions, KPIs), written atomically.

    `created` fixes the document's creation time so the bytes repeat from run to run;
    `finish` may rewrite cells after the table is written (e.g. give some a special format).
    """
    with atomic_workbook(path) as (workbook, formats):
        properties: dict[str, object] = {"title": title}
        if created:
            properties["created"] = created
        workbook.set_properties(properties)
        ws = workbook.add_worksheet(sheet)
        write_table(ws, formats, columns, records)
        if finish is not None:
            finish(ws, formats)
        print_setup(ws, landscape=True)
    return Path(path)


# ----------------------------------------------------------------------------- KPI figures and ratings

#: Fill and font colour of a KPI that is tracked but not rated (Baseline, Contextual, In Development).
KPI_STATUS_COLOURS: tuple[str, str] = ("#D9D9D9", "#404040")


def figure_format(places: int, percent: bool = False, signed: bool = False) -> str:
    """The name of the number format showing a KPI figure with this many decimals (0 to 3)."""
    places = max(0, min(3, places))
    return f"figure{'_pct' if percent else ''}{'_signed' if signed else ''}_{places}"


def add_kpi_rating_formats(
    ws: Worksheet, formats: Formats, first_row: int, first_col: int, last_row: int, last_col: int,
    statuses: Sequence[str] = (),
) -> None:
    """Colour KPI ratings (Blue, Green, Amber, Red) in a range, and the non-rated statuses grey."""
    add_rag_formats(ws, formats, first_row, first_col, last_row, last_col, KPI_RAG_SCALE)
    grey = colour_format(formats, *KPI_STATUS_COLOURS, italic=True)
    add_equal_formats(ws, first_row, first_col, last_row, last_col, {status: grey for status in statuses})


def add_trend_sparklines(ws: Worksheet, cells: Sequence[tuple[int, int]], data_ranges: Sequence[str]) -> None:
    """Line sparklines of KPI histories, last point marked, one per (row, col) cell, drawn from
    the matching range. Excel only: LibreOffice does not draw them, so the cells hold nothing
    else. One group for all, because xlsxwriter styles each group afresh (1,000 groups: ~1 s)."""
    if not cells:
        return
    ws.add_sparkline(cells[0][0], cells[0][1], {
        "location": [xl_rowcol_to_cell(row, col) for row, col in cells], "range": list(data_ranges),
        "type": "line", "series_color": NAVY, "last_point": True, "markers": False, "weight": 1.25,
    })


# ---------------------------------------------------------------- row heights, RAG charts and flags

#: The last row of a sheet (0-based): conditional formats "over the whole column" end here.
LAST_ROW = 1_048_575
#: Fill for "no rating" in charts (a project with no return to show).
NO_RATING_FILL = "#BFBFBF"


def fit_row_heights(
    ws: Worksheet, columns: Sequence[Column], rows: Sequence[dict[str, object]], first_row: int = 1,
    max_lines: int = 12,
) -> None:
    """Set each data row tall enough for its longest wrapped text (up to `max_lines` lines).

    Excel does not grow rows to fit wrapped text written by a program, and LibreOffice does
    so unevenly, so the heights are set explicitly.
    """
    wrapped = [(c.key, c.width, chars_per_line(c.width)) for c in columns if c.kind == "wrap"]
    for offset, record in enumerate(rows):
        lines = 1
        for key, width, per_line in wrapped:
            text = record.get(key)
            # Short single-line text (most cells) needs no counting.
            if isinstance(text, str) and (len(text) > per_line or "\n" in text):
                lines = max(lines, wrapped_lines(text, width))
        if lines > 1:
            ws.set_row(first_row + offset, min(lines, max_lines) * LINE_HEIGHT + 3)


def _chart_font(size: int = 9, bold: bool = False) -> dict[str, object]:
    return {"name": FONT, "size": size, "bold": bold}


#: Chart fills of the register's categories beside the ratings (No RAG stays grey).
CATEGORY_FILLS = {"Not rated": "#9DC3E6", "Paused": "#D9D2E9"}


def rag_fill_colour(rating: str) -> str:
    return RAG_COLOURS[rating][0] if rating in RAG_COLOURS else CATEGORY_FILLS.get(rating, NO_RATING_FILL)


def rag_distribution_chart(
    workbook: Workbook, sheet: str, first_row: int, last_row: int, label_col: int, value_col: int,
    ratings: Sequence[str], title: str, largest: int = 0,
):
    """A column chart of projects per rating, each column in its rating's colour, labelled.

    `largest` (the biggest count) sets whole-number axis steps."""
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({
        "name": "Projects",
        "categories": [sheet, first_row, label_col, last_row, label_col],
        "values": [sheet, first_row, value_col, last_row, value_col],
        "points": [{"fill": {"color": rag_fill_colour(r)}, "border": {"color": GRID}} for r in ratings],
        "data_labels": {"value": True, "font": _chart_font()},
        "gap": 60,
    })
    _style_chart(chart, title, largest)
    chart.set_legend({"none": True})
    return chart


def rag_trend_chart(
    workbook: Workbook, sheet: str, header_row: int, first_row: int, last_row: int, label_col: int,
    first_value_col: int, ratings: Sequence[str], title: str, largest: int = 0,
):
    """A stacked column chart: one series per rating (in its colour), one column per period;
    `largest` (the tallest stack) sets whole-number axis steps."""
    chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
    for offset, rating in enumerate(ratings):
        col = first_value_col + offset
        chart.add_series({
            "name": [sheet, header_row, col],
            "categories": [sheet, first_row, label_col, last_row, label_col],
            "values": [sheet, first_row, col, last_row, col],
            "fill": {"color": rag_fill_colour(rating)},
            "border": {"color": GRID},
            "gap": 50,
        })
    _style_chart(chart, title, largest)
    chart.set_legend({"position": "bottom", "font": _chart_font()})
    return chart


def _style_chart(chart, title: str, largest: int = 0) -> None:
    chart.set_title({"name": title, "name_font": _chart_font(11, True)})
    chart.set_x_axis({"num_font": _chart_font()})
    # Counts: whole-number steps from zero, about five of them.
    step = max(1, math.ceil(largest / 5))
    chart.set_y_axis({
        "num_font": _chart_font(), "num_format": "0", "min": 0, "major_unit": step,
        "max": step * (largest // step + 1),  # one step above the largest, room for its label
        "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
    })
    chart.set_chartarea({"border": {"color": GRID}})


#: Font colours that flag a value: arrows better (green) and worse (red), an escalation.
FLAG_COLOURS: dict[str, str] = {"↑": "#00B050", "↓": "#C00000", "Yes": "#C00000"}


def add_flag_formats(
    ws: Worksheet, formats: Formats, first_row: int, col: int, last_row: int, values: Sequence[str],
) -> None:
    """Conditional formats colouring the font of the given values (e.g. `↓` red) in a column."""
    add_equal_formats(ws, first_row, col, last_row, col,
                      {value: colour_format(formats, font=FLAG_COLOURS[value], bold=True) for value in values})


# Problem severities, coloured like Excel's "bad" and "neutral" styles.
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
    add_equal_formats(ws, first_row, first_col, last_row, last_col,
                      {text: colour_format(formats, fill, font, bold=True) for text, (fill, font) in colours.items()})
