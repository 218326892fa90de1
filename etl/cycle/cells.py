"""Read chosen cells of an .xlsx package by streaming each sheet's XML once: work bounded by what the file holds.

A return's reader needs a few dozen cells that the template's defined names point at. A
spreadsheet library that loads a whole sheet sizes its grid by the furthest cell, so one
stray value at XFD1048576 in a 14 KB file asks for hundreds of gigabytes (issue 15). Here
each sheet part is parsed incrementally by expat (no tree is built; any DTD or entity
declaration is refused, as defusedxml would) and only cells inside the wanted ranges are
kept, so memory is bounded by the ranges and time by the bytes of XML, whatever the
sheet's dimension says: 60,000 cells outside the ranges cost a fraction of a second.
Shared strings are streamed the same way and only the indices used are kept.

Values come out as a reader of Excel files gives them: text, float, bool, a `datetime.date`
(or `datetime` with a time of day, or `time` for a time-only format) for numbers formatted
as dates, and `FormulaError` for a cell whose formula ended in an error or was never
calculated. Both the Transitional and the Strict (ISO/IEC 29500 Strict) dialects are read:
elements are matched by local name, whatever their namespace.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

#: Excel counts days from 1899-12-30 (1900 system) or 1904-01-01 (the Mac's old 1904 system).
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_LAST_SERIAL = 2958466  # 1 January 10000
#: Built-in number formats that show a date or time (ECMA-376 §18.8.30, plus East Asian ones).
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_TIME_ONLY_IDS = frozenset({18, 19, 20, 21, 45, 46, 47})
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
#: How OOXML writes a character XML cannot carry (`_x001B_` for ESC; `_x005F_` for `_` itself).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """A string item's text with its `_xHHHH_` escapes decoded (ECMA-376 ST_Xstring)."""
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


class FormulaError(str):
    """A cell whose formula ended in an error (`#DIV/0!`, `#REF!`…) or was saved without a result ("")."""


@dataclass(frozen=True)
class Box:
    """A rectangle of cells, 0-based and inclusive."""

    r1: int
    c1: int
    r2: int
    c2: int

    def __contains__(self, rc: tuple[int, int]) -> bool:
        return self.r1 <= rc[0] <= self.r2 and self.c1 <= rc[1] <= self.c2


def local(tag: str) -> str:
    """An element's name without its namespace (Transitional and Strict differ only there)."""
    return tag.rsplit("}", 1)[-1]


def col_index(letters: str) -> int:
    """0-based column of `A`..`XFD`."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _iter(package: zipfile.ZipFile, part: str, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    from defusedxml.ElementTree import iterparse

    with package.open(part) as stream:
        yield from iterparse(stream, events=events)


def _is_date_code(code: str) -> tuple[bool, bool]:
    """(shows a date or time, shows only a time) for a custom number format code."""
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code.split(";")[0])
    elapsed = bool(re.search(r"\[(h+|m+|s+)\]", code, re.I))
    code = re.sub(r"\[[^\]]*\]", "", code).lower()
    has_date = bool(re.search(r"[dy]", code)) or ("m" in code and not re.search(r"[hs]", code))
    has_time = bool(re.search(r"[hs]", code))
    if elapsed:
        return False, False  # a duration ([h]:mm): keep the number
    return has_date or has_time, has_time and not has_date


@dataclass(frozen=True)
class Styles:
    """Which cell styles (by index) show numbers as dates, and as times only; and the date system."""

    dates: frozenset[int]
    times: frozenset[int]
    date1904: bool = False


def read_styles(package: zipfile.ZipFile, date1904: bool) -> Styles:
    """The date-formatted styles of `xl/styles.xml` (none when it is missing or unreadable)."""
    names = set(package.namelist())
    if "xl/styles.xml" not in names:
        return Styles(frozenset(), frozenset(), date1904)
    custom: dict[int, tuple[bool, bool]] = {}
    dates, times = set(), set()
    in_xfs, index = False, 0
    try:
        for event, elem in _iter(package, "xl/styles.xml", ("start", "end")):
            tag = local(elem.tag)
            if event == "start":
                if tag == "cellXfs":
                    in_xfs = True
                elif tag == "xf" and in_xfs:
                    fmt = int(elem.get("numFmtId") or 0)
                    if fmt in custom:
                        is_date, time_only = custom[fmt]
                    else:
                        is_date, time_only = fmt in _DATE_FORMAT_IDS, fmt in _TIME_ONLY_IDS
                    if is_date:
                        dates.add(index)
                    if time_only:
                        times.add(index)
                    index += 1
                continue
            if tag == "numFmt":
                custom[int(elem.get("numFmtId") or 0)] = _is_date_code(elem.get("formatCode") or "")
            elif tag == "cellXfs":
                in_xfs = False
            if tag in ("numFmt", "xf", "cellXfs", "numFmts"):
                elem.clear()
    except Exception:  # noqa: BLE001 - damaged, defused or malformed styles only lose the date formats
        pass
    return Styles(frozenset(dates), frozenset(times), date1904)


def _serial_value(number: float, style: int, styles: Styles) -> Any:
    """A number as shown under its style: a date, datetime or time when date-formatted (and in range)."""
    if style not in styles.dates or not math.isfinite(number) or not 0 <= number < _LAST_SERIAL:
        return number
    epoch = _EPOCH_1904 if styles.date1904 else _EPOCH_1900
    moment = epoch + dt.timedelta(days=number)
    moment = moment.replace(microsecond=0) if moment.microsecond < 500_000 else (
        moment + dt.timedelta(seconds=1)).replace(microsecond=0)
    if style in styles.times:
        return moment.time()
    return moment.date() if moment.time() == dt.time(0) else moment


class _Forbidden(ValueError):
    """A part declares a DTD or entities: never needed by a workbook, refused (XML bomb defence)."""


def _stream(package: zipfile.ZipFile, part: str, start: Callable[[str, dict], None], end: Callable[[str], None],
            text: Callable[[str], None]) -> None:
    """Parse `part` with expat, calling `start(local name, attrs)`, `end(local name)`, `text(data)`.

    Expat's C callbacks cost a fraction of ElementTree's pure-Python tree building (defusedxml's
    parser), so work stays linear and small in the bytes of XML. Any DTD or entity declaration
    is refused, as defusedxml would: a workbook part never has one.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")

    def forbid(*_: Any) -> None:
        raise _Forbidden("the XML declares a DTD or entities, which a workbook never does")

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.StartElementHandler = lambda name, attrs: start(name.rsplit(" ", 1)[-1], attrs)
    parser.EndElementHandler = lambda name: end(name.rsplit(" ", 1)[-1])
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    with package.open(part) as stream:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


class _Strings:
    """Collects the text of string items (`<si>`, `<is>`): `<t>` runs, not phonetic `<rPh>`."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.in_t = False
        self.phonetic = 0

    def start(self, name: str) -> None:
        if name == "rPh":
            self.phonetic += 1
        elif name == "t" and not self.phonetic:
            self.in_t = True

    def end(self, name: str) -> None:
        if name == "rPh":
            self.phonetic -= 1
        elif name == "t":
            self.in_t = False

    def take(self) -> str:
        text, self.parts = unescape("".join(self.parts)), []
        return text


def read_shared_strings(package: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings with the given indices (the others are parsed past, not kept)."""
    if not wanted or "xl/sharedStrings.xml" not in package.namelist():
        return {}
    found: dict[int, str] = {}
    strings = _Strings()
    index = [0]

    def start(name: str, attrs: dict) -> None:
        strings.start(name)

    def end(name: str) -> None:
        strings.end(name)
        if name == "si":
            text = strings.take()
            if index[0] in wanted:
                found[index[0]] = text
            index[0] += 1

    def text(data: str) -> None:
        if strings.in_t and index[0] in wanted:
            strings.parts.append(data)

    _stream(package, "xl/sharedStrings.xml", start, end, text)
    return found


@dataclass
class _Raw:
    kind: str  # the cell's t attribute
    style: int
    value: str | None  # <v> text
    inline: str | None  # <is> text
    formula: bool


def read_cells(package: zipfile.ZipFile, part: str, boxes: Iterable[Box], styles: Styles) -> dict[tuple[int, int], Any]:
    """The values of the cells of `part` inside any of `boxes`, keyed by (row, col), 0-based.

    Blank cells are absent. Cells without an `r` attribute (allowed by the standard) are
    placed by their position in the row. Raises `ValueError` for XML that cannot be parsed.
    """
    boxes = list(boxes)
    if not boxes:
        return {}
    top, bottom = min(b.r1 for b in boxes), max(b.r2 for b in boxes)
    left, right = min(b.c1 for b in boxes), max(b.c2 for b in boxes)
    # Most names point at one cell: those are looked up in a set, only ranges are scanned.
    singles = {(b.r1, b.c1) for b in boxes if b.r1 == b.r2 and b.c1 == b.c2}
    ranges = [b for b in boxes if not (b.r1 == b.r2 and b.c1 == b.c2)]
    raw: dict[tuple[int, int], _Raw] = {}

    def wanted(rc: tuple[int, int]) -> bool:
        return (top <= rc[0] <= bottom and left <= rc[1] <= right
                and (rc in singles or any(rc in b for b in ranges)))

    # A cell without `r` is placed by the row's number, known from the row's own `r` (or by count).
    state = {"row": -1, "col": -1}
    cell: list[_Raw | None] = [None]
    where: list[tuple[int, int] | None] = [None]
    value: list[str] = []
    capture = {"v": False}
    strings = _Strings()

    def start(name: str, attrs: dict) -> None:
        if name == "c":
            ref = _CELL_REF.fullmatch(attrs.get("r") or "")
            if ref:
                state["row"], state["col"] = int(ref[2]) - 1, col_index(ref[1])
            else:
                state["col"] += 1
            rc = (state["row"], state["col"])
            if wanted(rc):
                style = attrs.get("s")
                cell[0] = _Raw(attrs.get("t") or "n", int(style) if style and style.isdigit() else 0, None, None, False)
                where[0] = rc
        elif name == "row":
            given = attrs.get("r")
            state["row"] = int(given) - 1 if given and given.isdigit() else state["row"] + 1
            state["col"] = -1
        elif cell[0] is not None:
            if name == "v":
                capture["v"] = True
                value.clear()
            elif name == "f":
                cell[0].formula = True
            else:
                strings.start(name)

    def end(name: str) -> None:
        current = cell[0]
        if current is None:
            return
        if name == "c":
            raw[where[0]] = current
            cell[0] = None
        elif name == "v":
            current.value, capture["v"] = "".join(value), False
        elif name == "is":
            current.inline = strings.take()
        else:
            strings.end(name)

    def text(data: str) -> None:
        if cell[0] is not None:
            if capture["v"]:
                value.append(data)
            elif strings.in_t:
                strings.parts.append(data)

    try:
        _stream(package, part, start, end, text)
    except _Forbidden as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - expat's errors
        raise ValueError(f"{exc.__class__.__name__}: {exc}") from None
    try:
        shared = read_shared_strings(package, {int(c.value) for c in raw.values()
                                               if c.kind == "s" and c.value and c.value.isdigit()})
    except Exception as exc:  # noqa: BLE001 - expat's errors, in the shared strings
        raise ValueError(f"its shared strings cannot be read ({exc.__class__.__name__}: {exc})") from None
    return {rc: v for rc, c in raw.items() if (v := _decode(c, shared, styles)) is not None}


def _decode(cell: _Raw, strings: dict[int, str], styles: Styles) -> Any:
    kind, text = cell.kind, cell.value
    if kind == "inlineStr":
        return cell.inline if cell.inline else None
    if text is None:
        # A formula saved without its result: the value is not known, which is not the same as blank.
        return FormulaError("") if cell.formula else None
    if kind == "e":
        return FormulaError(text or "#N/A")
    if kind == "s":
        return strings.get(int(text)) if text.isdigit() else None
    if kind in ("str", "inlineStr"):
        return unescape(text)
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "d":
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text
        return moment.date() if moment.time() == dt.time(0) else moment
    try:
        number = float(text)
    except ValueError:
        return text
    return _serial_value(number, cell.style, styles)
