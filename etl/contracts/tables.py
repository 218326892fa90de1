"""Read an officer's table (portfolio, KPIs, actions) from `.xlsx` or `.csv`, keeping row numbers.

Officers put title rows above the headers, leave blank rows, type headers in any case and
add columns of their own. This module finds the header row, matches the expected headers
loosely (case, spacing and punctuation ignored), drops wholly blank rows, and indexes the
frame by the spreadsheet row number, so a problem can be reported as "row 7". It also turns
pandera's lazy failures into `Problem`s naming row, column, cell and value.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from etl.errors import ConfigError, PmoError, Problem
from etl.rules.values import clean_text

_HEADER_SEARCH_ROWS = 15


def header_key(text: object) -> str:
    """Loose form of a header: `Delivery Cost (£)` and `delivery cost` are the same."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _rows_from_xlsx(path: Path, sheet: str) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot be opened as an Excel workbook ({exc.__class__.__name__}: {exc})") from exc
    try:
        names = book.sheetnames
        match = next((n for n in names if n.strip().casefold() == sheet.casefold()), None)
        if match is None:
            raise ConfigError(f"{path}: no sheet named '{sheet}' (the workbook has: {', '.join(names)})")
        rows = [
            (number, [_cell_value(v) for v in row])
            for number, row in enumerate(book[match].iter_rows(values_only=True), start=1)
        ]
        # The sheet's part in the package (openpyxl keeps it privately; if it ever does not, read twice).
        part = getattr(book[match], "_worksheet_path", None)
    finally:
        book.close()
    if part is None or _has_formulas(path, part):
        _no_saved_values(path, match, rows)
    return rows


# A formula element (`<f>`, `<f t="shared" .../>`, or with a namespace prefix as some writers save it).
_FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formulas(path: Path, part: str) -> bool:
    """Whether the sheet's XML holds any formula: a scan of its bytes, far cheaper than reading
    the sheet again (10,000 rows: ~0.05 s, not ~1 s), so a sheet without formulas is read once."""
    with zipfile.ZipFile(path) as package, package.open(part) as sheet:
        tail = b""
        while chunk := sheet.read(1 << 20):
            if _FORMULA_ELEMENT.search(tail + chunk):
                return True
            tail = chunk[-64:]  # an element split across two chunks
    return False


def _no_saved_values(path: Path, sheet: str, rows: list[tuple[int, list[object]]]) -> None:
    """`ConfigError` naming each formula cell saved without its result (read as blank otherwise).

    Only when the sheet has blank cells is it read again, formulas and all, to compare.
    """
    from openpyxl import load_workbook

    if all(v is not None for _, row in rows for v in row):
        return
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        problems = [
            Problem(f"The cell holds the formula {formula} but no saved result, so its value is not known (it is not "
                    "blank): open the file in Excel or LibreOffice and save it, or type the value.",
                    file=path.name, code="formula_no_value", sheet=sheet, row=number,
                    cell=f"{column_letter(i)}{number}", value=formula)
            for (number, values), row in zip(rows, book[sheet].iter_rows(values_only=True))
            for i, formula in enumerate(row)
            if isinstance(formula, str) and formula.startswith("=") and i < len(values) and values[i] is None
        ]
    finally:
        book.close()
    if problems:
        raise ConfigError(f"{path}: {len(problems)} formula cell(s) have no saved value; save the file in a "
                          "spreadsheet program and run again", problems)


def _rows_from_csv(path: Path) -> list[tuple[int, list[object]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")  # Excel's "CSV" on Windows
    reader = csv.reader(text.splitlines(keepends=True))
    rows: list[tuple[int, list[object]]] = []
    start = 1
    for record in reader:
        rows.append((start, [clean_text(v) for v in record]))
        start = reader.line_num + 1
    return rows


def read_table(
    path: Path | str,
    sheet: str,
    headers: dict[str, str],
    optional: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table's rows, indexed by spreadsheet row number, with columns named by `headers`.

    `headers` maps each expected header to the field name used in code. Returns the frame
    (raw values; blank cells are None) and, for each field, the column letter it was found
    in. Raises `ConfigError` when the file, the sheet or any non-optional header is missing.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _rows_from_xlsx(path, sheet)
    elif suffix == ".csv":
        rows = _rows_from_csv(path)
    else:
        raise ConfigError(f"{path}: expected an .xlsx or .csv file, not '{suffix or 'no extension'}'")

    wanted = {header_key(h): field for h, field in headers.items()}
    header_row = None
    for position, (number, row) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        found = {header_key(v) for v in row if v is not None}
        if len(found & set(wanted)) >= min(2, len(wanted)):
            header_row = position
            break
    if header_row is None:
        raise ConfigError(
            f"{path}: cannot find the header row (expected headers such as "
            f"{', '.join(list(headers)[:3])}) in the first {_HEADER_SEARCH_ROWS} rows"
        )
    positions: dict[str, int] = {}
    twice: list[str] = []
    for index, value in enumerate(rows[header_row][1]):
        field = wanted.get(header_key(value))
        if field and field in positions:
            # Which of two same-named columns holds the data is anyone's guess: say so, do not pick one.
            twice.append(f"'{clean_text(value)}' (columns {column_letter(positions[field])} and {column_letter(index)})")
        elif field:
            positions[field] = index
    if twice:
        raise ConfigError(
            f"{path}: the header row (row {rows[header_row][0]}) has the same column twice: {', '.join(twice)}; "
            "delete or rename one so pmo knows which to read")
    required = {f for h, f in headers.items() if h not in optional}
    missing = [h for h, f in headers.items() if f in required and f not in positions]
    if missing:
        raise ConfigError(
            f"{path}: missing column(s) {', '.join(repr(m) for m in missing)} in the header row "
            f"(row {rows[header_row][0]})"
        )

    records, index = [], []
    for number, row in rows[header_row + 1:]:
        record = {f: (row[i] if i < len(row) else None) for f, i in positions.items()}
        if all(v is None for v in record.values()):
            continue
        records.append(record)
        index.append(number)
    for field in headers.values():
        if field not in positions:
            for record in records:
                record[field] = None
    frame = pd.DataFrame.from_records(records, index=pd.Index(index, name="row"), columns=list(headers.values()))
    frame = frame.astype(object).where(frame.notna(), None)
    letters = {f: column_letter(i) for f, i in positions.items()}
    return frame, letters


@dataclass(frozen=True)
class CheckMessage:
    """How to report a failed pandera check: the message, and where it belongs."""

    message: Callable[[object], str]
    #: report in this field (for a whole-row check); None: the column that failed
    field: str | None = None
    #: quote this field's value rather than the failing one
    value_from: str | None = None


def schema_problems(
    failure_cases: pd.DataFrame,
    frame: pd.DataFrame,
    file: str,
    headers: dict[str, str],
    letters: dict[str, str],
    messages: dict[str, CheckMessage],
) -> list[Problem]:
    """One `Problem` per failing (row, field, check) from pandera's lazy `failure_cases`.

    `messages` maps a check name to its `CheckMessage`. A whole-row check fails in every
    column; it is reported once, in its own field. Problems come in row order, then in the
    order of the headers.
    """
    header_of = {field: header for header, field in headers.items()}
    order = {field: i for i, field in enumerate(headers.values())}
    seen: set[tuple[int, str, str]] = set()
    problems: list[Problem] = []
    for case in failure_cases.itertuples(index=False):
        if case.index is None or (isinstance(case.index, float) and pd.isna(case.index)):
            continue  # column-level failures (a missing column) are caught before validation
        check, row = str(case.check), int(case.index)
        rule = messages.get(check) or CheckMessage(lambda v, c=check: f"'{v}' failed the check {c}")
        field = rule.field or str(case.column)
        if (row, field, check) in seen:
            continue
        seen.add((row, field, check))
        source = rule.value_from or field
        value = frame.at[row, source] if source in frame.columns else case.failure_case
        letter = letters.get(field, "")
        problems.append(
            Problem(
                rule.message(value),
                file=file,
                code=check,
                field=header_of.get(field, field),
                row=row,
                cell=f"{letter}{row}" if letter else "",
                value=value,
            )
        )
    problems.sort(key=lambda p: (p.row or 0, order.get(headers.get(p.field, ""), 0)))
    return problems


def table_problems(
    schema,
    frame: pd.DataFrame,
    path: Path | str,
    headers: dict[str, str],
    letters: dict[str, str],
    messages: dict[str, CheckMessage],
) -> list[Problem]:
    """Validate an officer's table with its pandera schema, lazily: every problem, in row
    order (none when the table is good). For tables whose bad rows are set aside rather than
    stopping the run (the KPI sheet, Priority Activities)."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return schema_problems(err.failure_cases, frame, Path(path).name, headers, letters, messages)
    return []


def validate_table(
    schema,
    frame: pd.DataFrame,
    path: Path | str,
    headers: dict[str, str],
    letters: dict[str, str],
    messages: dict[str, CheckMessage],
    error: type[PmoError],
    what: str,
    adjust: Callable[[list[Problem]], list[Problem]] | None = None,
) -> None:
    """Validate an officer's table with its pandera schema, lazily; on failure raise `error`
    listing every problem (`adjust` may add to their wording), e.g. "3 problems in the
    portfolio; fix them and run again"."""
    problems = table_problems(schema, frame, path, headers, letters, messages)
    if problems:
        if adjust is not None:
            problems = adjust(problems)
        noun = "problem" if len(problems) == 1 else "problems"
        raise error(f"{path}: {len(problems)} {noun} in the {what}; fix them and run again", problems) from None
