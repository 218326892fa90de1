"""Normalise values as people type them into spreadsheets: money, dates, text, yes/no.

Each parser returns the clean value, or raises `ValueError` with a message that quotes
what was typed and says what is expected; callers attach the file, field and cell.
Blank input (None, empty or whitespace-only) parses to None.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from etl.errors import AmbiguousFigure, NotFinite
from etl.rules.dates import uk_date

# Excel counts days from 1899-12-30 (it believes 1900 was a leap year).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


def clean_text(value: object) -> str | None:
    """Text with non-breaking and repeated spaces folded and ends trimmed; blank → None.

    Line breaks inside a cell are kept (a PM update is several paragraphs); other runs of
    white space become a single space.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.isprintable() and "  " not in value:
        # Most cells: one line, single spaces. Every white space but the plain space is
        # unprintable, so there is nothing to fold, only ends to trim (10,000-row portfolios
        # clean half a million cells).
        return value.strip() or None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_WHITESPACE.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n ")
    return text or None


def cell_text(value: object) -> str | None:
    """A cell's value as the text a person sees: a whole number without `.0`, a date as
    dd/mm/yyyy, cleaned as `clean_text` cleans it; blank → None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed in a text field: 5, not 5.0
    if isinstance(value, (dt.date, dt.datetime)):
        value = uk_date(value)
    return clean_text(value)


# Words and letters that scale an amount: `4.6 billion`, `£4.6bn`, `4.6m`, `250k`.
_MONEY_SCALES: tuple[tuple[str, int], ...] = (
    ("billion", 10**9), ("bn", 10**9), ("million", 10**6), ("mn", 10**6), ("m", 10**6),
    ("thousand", 10**3), ("k", 10**3),
)
# A figure with its separators where they belong: `1200000`, `1,200,000`, `1,200,000.50`, `.5`.
_PLAIN_FIGURE = re.compile(r"\d+(\.\d+)?|\.\d+|\d{1,3}(,\d{3})+(\.\d+)?")
_MONEY_HINT = "write it like 1200000, £1,200,000, £1.2m or £4.6bn"


def finite(number: float, raw: object) -> float:
    """The number, or `NotFinite` when it is infinite or not a number (`1e400` overflows)."""
    if not math.isfinite(number):
        raise NotFinite(f"'{raw}' is not a usable number: it is too large to be a real figure")
    return number


def parse_money(value: object) -> float | None:
    """Pounds from `£1,200,000`, `1.2m`, `£250k`, `1200000`, `1.2 million`, `£4.6 billion`,
    `£4.6bn`, `(500)`.

    A comma is read only as a thousands separator, in its place (`1,200,000`): `2,5m` and
    `1.234,56` are ambiguous (a decimal comma?) and refused, saying so, rather than read as
    £25,000,000 or £1.23. Infinite and not-a-number amounts are refused; whether an amount is
    plausible (settings' `largest_amount`) is the caller's check. Negative amounts are
    returned as negative (the caller decides if that is allowed).
    """
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not an amount of money")
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return finite(float(value), value)
    text = clean_text(value)
    if text is None:
        return None
    raw = text
    text = text.lower().replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = True, text[1:]
    text = text.removeprefix("£")
    multiplier = 1
    for suffix, factor in _MONEY_SCALES:
        if text.endswith(suffix):
            text, multiplier = text[: -len(suffix)], factor
            break
    if not _PLAIN_FIGURE.fullmatch(text):
        if re.fullmatch(r"[\d.,]+", text) and "," in text:
            raise AmbiguousFigure(
                f"'{raw}' is ambiguous: its comma is not a thousands separator (is it a decimal comma?), "
                f"so the amount cannot be known; {_MONEY_HINT}")
        raise ValueError(f"'{raw}' is not an amount of money ({_MONEY_HINT})")
    amount = Decimal(text.replace(",", "")) * multiplier
    return finite(float(-amount if negative else amount), raw)


def parse_number(value: object) -> float | None:
    """A plain number, accepting `62.6%` (as 0.626) and thousands separators; infinite and
    overflowing values (`1e400`) are refused."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not a number")
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else finite(float(value), value)
    text = clean_text(value)
    if text is None:
        return None
    compact = text.replace(",", "").replace(" ", "")
    percent = compact.endswith("%")
    if percent:
        compact = compact[:-1]
    try:
        exact = Decimal(compact)
    except InvalidOperation as exc:
        raise ValueError(f"'{text}' is not a number") from exc
    if not exact.is_finite():
        raise ValueError(f"'{text}' is not a number")
    # Divide the decimal, not the float: `11.70%` is 0.117, not 0.11699999999999999.
    return finite(float(exact / 100 if percent else exact), text)


def excel_serial_to_date(serial: float) -> dt.date:
    """The date an Excel serial day number stands for (time of day dropped)."""
    if not 1 <= serial < 2958466:  # 2958465 is 31/12/9999
        raise ValueError(f"{serial:g} is not a date serial Excel understands")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: object) -> dt.date | None:
    """A calendar date from what people type, read the UK way (day before month).

    Accepts date/datetime objects, Excel serials, `31/03/2025`, `31.03.2025`,
    `31-03-2025`, `2025-03-31`, `31 March 2025`, `31st March 2025`, `March 31, 2025`,
    two-digit years. A month with no day (`March 2025`) is ambiguous and rejected.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a date")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return excel_serial_to_date(float(value))
    text = clean_text(value)
    if text is None:
        return None
    lowered = text.lower().replace(",", " ")
    lowered = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", lowered)
    lowered = re.sub(r"\s+", " ", lowered).strip()

    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", lowered)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?", lowered)
    if m:
        return _make_date(_full_year(m[3]), int(m[2]), int(m[1]), text)
    m = re.fullmatch(r"(\d{1,2})[ \-]([a-z]+)\.?[ \-](\d{2}|\d{4})", lowered)
    if m and m[2] in _MONTHS:
        return _make_date(_full_year(m[3]), _MONTHS[m[2]], int(m[1]), text)
    m = re.fullmatch(r"([a-z]+)\.? (\d{1,2}) (\d{4})", lowered)
    if m and m[1] in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[1]], int(m[2]), text)
    m = re.fullmatch(r"([a-z]+)\.?[ \-](\d{2}|\d{4})", lowered)
    if m and m[1] in _MONTHS:
        raise ValueError(
            f"'{text}' gives a month but no day, so the date is ambiguous: "
            "write the exact date, e.g. 31/03/2025"
        )
    if re.fullmatch(r"\d+(\.\d+)?", lowered):
        return excel_serial_to_date(float(lowered))
    raise ValueError(f"'{text}' is not a date (write it as dd/mm/yyyy, e.g. 31/03/2025)")


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _make_date(year: int, month: int, day: int, original: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{original}' is not a real date") from exc


_YES = {"yes", "y", "true", "1", "x", "✓"}
_NO = {"no", "n", "false", "0"}


def parse_yes_no(value: object) -> bool | None:
    """True/False from yes/no, y/n, true/false, 1/0; blank → None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"'{value:g}' is not yes or no")
    text = clean_text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise ValueError(f"'{text}' is not yes or no")


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def is_email(value: object) -> bool:
    """Whether the value is a single, plausible email address."""
    text = clean_text(value)
    return bool(text) and bool(_EMAIL.match(text)) and ".." not in text  # type: ignore[arg-type]
