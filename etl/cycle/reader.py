"""Read one returned highlight report by its defined names, or say exactly why it cannot be read.

A return is read by the workbook-level defined names of the template contract (`etl.contracts.fields`),
never by fixed cell addresses, so it still reads after a partner inserts rows or moves a
cell. The names come from `xl/workbook.xml` (zipfile and a defused XML parse); the values
of only the cells those names point at come from a streaming parse of each sheet's XML
(`etl.cycle.cells`), which gives the cached result of any formula. Work and memory are
bounded by what the file holds, never by the sheet's dimension: a stray cell at XFD1048576
costs nothing more (issue 15). Strict Open XML workbooks read like any other.

Before anything is parsed the container is checked, so a bad file gets its own clear message
and bounded cost: empty, too big, a CSV or other text renamed `.xlsx`, an old `.xls`, an
`.ods`, a binary `.xlsb`, a password-protected (encrypted) workbook, a damaged or truncated
zip, a zip bomb (the uncompressed sizes in the zip directory are checked, then each part is
decompressed in chunks with a cap, before any XML is parsed). Macros and links to other
workbooks are ignored with a warning. The `_meta` sheet names the project, period, report
type and template version; a workbook without it is rejected (its version cannot be checked).
The report type a return must have comes from the portfolio, not from `_meta`.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from etl.contracts import fields as F
from etl.cycle.cells import Box, col_index, local, read_cells, read_styles
from etl.errors import Problem, ReturnUnreadable
from etl.rules.periods import FULL, REPORT_TYPES, SIMPLIFIED
from etl.contracts.tables import column_letter
from etl.rules.values import cell_text

#: Template versions this pmo can read.
KNOWN_VERSIONS: tuple[str, ...] = F.TEMPLATE_VERSIONS

#: Extensions ingest tries to read; anything else in the folder is listed as skipped.
SPREADSHEET_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".csv")

MB = 1024 * 1024
#: A workbook may expand to this many times the size limit when unzipped, and no more.
UNZIPPED_FACTOR = 10
#: Above this ratio a part larger than a megabyte is treated as a zip bomb.
MAX_RATIO = 200

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_XLS_MARK = "Workbook".encode("utf-16-le")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_SEND_XLSX = "Ask the sender to open it in Excel and save it as an Excel Workbook (.xlsx), then send it again."
_FRESH_TEMPLATE = "Ask the sender to copy their answers into the template sent to them this period and return that file."
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class Cell:
    """A value as read, and where it came from."""

    value: Any
    sheet: str
    row: int  # 1-based, as the spreadsheet shows it
    col: int  # 0-based

    @property
    def address(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


@dataclass
class RawReturn:
    """What a return holds, as typed, before normalising: fields and non-empty table rows."""

    path: Path
    name: str  # how the file is named in problems (its path within the folder ingested)
    project_id: str | None
    report_type: str
    template_version: str | None
    fields: dict[str, Cell] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Cell]]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def _col_index(letters: str) -> int:
    return col_index(letters)


def is_spreadsheet_name(path: Path) -> bool:
    """Whether ingest should try to read this file (by its extension)."""
    return path.suffix.lower() in SPREADSHEET_SUFFIXES


def too_big(name: str, size: int, max_mb: float) -> Problem:
    """The problem for a file over the size limit (checked before it is read)."""
    return Problem(
        f"The file is {size / MB:.1f} MB, over the {max_mb:g} MB limit for a return, so it was not read.",
        file=name, code="too_big", value=size,
        fix="A highlight report is normally well under 1 MB: ask the sender to remove pasted pictures or "
            "extra sheets and send the template again (or raise max_return_mb in pmo.toml).",
    )


def _fail(name: str, code: str, message: str, fix: str = "", **where: Any) -> ReturnUnreadable:
    return ReturnUnreadable([Problem(message, file=name, code=code, fix=fix, **where)])


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def _check_container(name: str, suffix: str, data: bytes) -> None:
    """Raise `ReturnUnreadable` for any container that is not an .xlsx/.xlsm package."""
    if not data:
        raise _fail(name, "empty_file", "The file is empty (0 bytes): it was not saved properly or the attachment was lost.",
                    "Ask the sender to save the completed workbook and send it again.")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            raise _fail(
                name, "encrypted", "The workbook is password-protected (encrypted), so it cannot be read.",
                "Ask the sender to remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it), save, and send it again. Sheet protection without a password is fine.")
        if _XLS_MARK in data:
            raise _fail(name, "legacy_xls", "This is an old-style Excel 97-2003 workbook (.xls), not the .xlsx template, so "
                              "its fields cannot be found.", _SEND_XLSX)
        raise _fail(name, "not_a_workbook", "This is an Office document of another kind (not an Excel workbook).", _FRESH_TEMPLATE)
    if data.startswith(b"PK"):
        return
    if suffix == ".csv" or _looks_like_text(data):
        what = "a CSV (text) file" if suffix == ".csv" else f"a text file (probably a CSV) renamed '{suffix}'"
        raise _fail(name, "csv_not_workbook", f"This is {what}, not an Excel workbook: a CSV cannot carry the template's fields.",
                    _FRESH_TEMPLATE)
    raise _fail(name, "not_a_workbook", "This file is not in a spreadsheet format pmo can read (it is not an .xlsx workbook).",
                _FRESH_TEMPLATE)


def _open_zip(name: str, data: bytes, max_mb: float) -> zipfile.ZipFile:
    """The package, after checking it is an Excel workbook and not a zip bomb."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, zlib.error) as exc:
        raise _fail(name, "damaged", f"The file is damaged or incomplete (not a readable workbook: {exc}). It may have been "
                          "cut short when it was saved, copied or attached.",
                    "Ask the sender to save the workbook again and re-attach it.") from None
    limit = int(max_mb * MB * UNZIPPED_FACTOR)
    total = sum(i.file_size for i in infos)
    squeezed = any(i.file_size > MB and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos)
    if total > limit or squeezed:
        why = (f"over the {limit / MB:,.0f} MB pmo allows" if total > limit
               else f"with a part compressed more than {MAX_RATIO} to 1")
        raise _fail(name, "zip_bomb", f"The workbook would expand to {total / MB:,.0f} MB when opened (a 'zip bomb', or "
                          f"hugely bloated), {why}, so it was not opened.", _FRESH_TEMPLATE, value=total)
    names = {i.filename for i in infos}
    if "mimetype" in names and package.read("mimetype")[:len(_ODS_MIME)] == _ODS_MIME:
        raise _fail(name, "ods_not_xlsx", "This is an OpenDocument spreadsheet (.ods, e.g. from LibreOffice), not the .xlsx template.",
                    "Ask the sender to use File > Save As > Excel 2007-365 (.xlsx), then send it again.")
    if "xl/workbook.bin" in names:
        raise _fail(name, "xlsb_not_xlsx", "This is a binary Excel workbook (.xlsb), not the .xlsx template.", _SEND_XLSX)
    if "xl/workbook.xml" not in names:
        raise _fail(name, "not_a_workbook", "This is a zip file, but not an Excel workbook.", _FRESH_TEMPLATE)
    if any(i.flag_bits & 0x1 for i in infos):
        raise _fail(name, "encrypted", "Parts of the workbook are encrypted, so it cannot be read.",
                    "Ask the sender to remove any password and send it again.")
    # The directory can lie about sizes: decompress every part in chunks with a running cap
    # (this also finds truncated or corrupted parts by their checksums).
    seen = 0
    try:
        for info in infos:
            with package.open(info) as part:
                while chunk := part.read(1 << 16):
                    seen += len(chunk)
                    if seen > limit:
                        raise _fail(name, "zip_bomb", f"The workbook expands to more than {limit / MB:,.0f} MB when opened "
                                          "(a 'zip bomb'), so it was not read.", _FRESH_TEMPLATE)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        raise _fail(name, "damaged", f"The file is damaged (part '{info.filename}' cannot be read: {exc}).",
                    "Ask the sender to save the workbook again and re-attach it.") from None
    return package


@dataclass(frozen=True)
class _Book:
    sheets: dict[str, str]  # sheet name -> state (visible, hidden, veryHidden)
    names: dict[str, str]  # workbook-level defined name -> reference text
    external_links: bool
    macros: bool
    parts: dict[str, str] = field(default_factory=dict)  # sheet name -> its part in the package
    duplicates: tuple[str, ...] = ()  # workbook-level names defined more than once
    date1904: bool = False


def _workbook_xml(name: str, package: zipfile.ZipFile) -> _Book:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(package.read("xl/workbook.xml"))
    except (DefusedXmlException, ElementTree.ParseError) as exc:
        raise _fail(name, "damaged", f"The workbook's structure cannot be read ({exc.__class__.__name__}).", _FRESH_TEMPLATE) \
            from None
    # Elements are matched by local name so that Strict Open XML (another namespace) reads too.
    elements = list(root.iter())
    sheet_elems = [e for e in elements if local(e.tag) == "sheet"]
    sheets = {s.get("name", ""): s.get("state", "visible") for s in sheet_elems}
    sheet_list = list(sheets)
    names: dict[str, str] = {}
    duplicates: list[str] = []
    scoped: dict[str, str] = {}
    for item in (e for e in elements if local(e.tag) == "definedName"):
        key, ref = item.get("name", ""), (item.text or "").strip()
        if item.get("localSheetId") is None:
            if key in names and names[key] != ref:
                duplicates.append(key)
            names.setdefault(key, ref)
        else:
            # A sheet-scoped name (Excel makes one when a sheet is copied) still locates the field.
            index = int(item.get("localSheetId") or 0) if (item.get("localSheetId") or "").isdigit() else -1
            if 0 <= index < len(sheet_list) and sheet_list[index] == F.SHEET:
                scoped.setdefault(key, ref)
    for key, ref in scoped.items():
        names.setdefault(key, ref)
    files = package.namelist()
    pr = next((e for e in elements if local(e.tag) == "workbookPr"), None)
    return _Book(
        sheets=sheets,
        names=names,
        external_links=any(f.startswith("xl/externalLinks/") for f in files),
        macros=any(f.lower().endswith("vbaproject.bin") for f in files),
        parts=_sheet_parts(package, sheet_elems),
        duplicates=tuple(dict.fromkeys(duplicates)),
        date1904=pr is not None and (pr.get("date1904") or "").lower() in ("1", "true"),
    )


def _sheet_parts(package: zipfile.ZipFile, sheet_elems: list[Any]) -> dict[str, str]:
    """Sheet name -> the path of its XML part (through the workbook's relationships)."""
    from defusedxml import ElementTree

    try:
        rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - without them no sheet can be read: reported as fields not found
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if local(r.tag) == "Relationship"}
    parts = {}
    for sheet in sheet_elems:
        rel_id = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        target = targets.get(rel_id, "")
        if target:
            parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _parse_ref(ref: str) -> tuple[str, int, int, int, int] | None:
    """(sheet, first row, first col, last row, last col), 0-based; None when not a plain range."""
    m = _REF.match(ref.lstrip("="))
    if not m:
        return None
    sheet = (m[1] or "").replace("''", "'") or m[2]
    r1, c1 = int(m[4]) - 1, _col_index(m[3])
    r2, c2 = (int(m[6]) - 1, _col_index(m[5])) if m[5] else (r1, c1)
    if r1 < 0 or r2 < 0:
        return None
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


#: The `_meta` sheet is read in columns A:B of its first rows (it holds a handful).
_META_BOX = Box(0, 0, 199, 1)


class _Values:
    """The wanted cells of each sheet, read once per sheet by a streaming parse (`etl.cycle.cells`)."""

    def __init__(self, name: str, package: zipfile.ZipFile, book: _Book):
        self.name, self.package, self.parts = name, package, book.parts
        self.styles = read_styles(package, book.date1904)
        self.cache: dict[str, dict[tuple[int, int], Any]] = {}

    def load(self, sheet: str, boxes: list[Box]) -> dict[tuple[int, int], Any]:
        if sheet not in self.cache:
            part = self.parts.get(sheet)
            if not part or part not in self.package.namelist():
                raise _fail(self.name, "damaged", f"Sheet '{sheet}' is listed in the workbook but its contents are "
                                  "missing.", _FRESH_TEMPLATE, sheet=sheet)
            try:
                self.cache[sheet] = read_cells(self.package, part, boxes, self.styles)
            except ValueError as exc:
                raise _fail(self.name, "damaged", f"Sheet '{sheet}' cannot be read ({exc}).",
                            _FRESH_TEMPLATE, sheet=sheet) from None
        return self.cache[sheet]

    def cell(self, sheet: str, row: int, col: int) -> Cell:
        return Cell(self.cache.get(sheet, {}).get((row, col)), sheet, row + 1, col)

    def rows_present(self, sheet: str, box: Box) -> list[int]:
        """The rows of `box` that hold any value (so a huge range costs only what it holds)."""
        return sorted({r for (r, c) in self.cache.get(sheet, {}) if (r, c) in box})


def _meta(values: _Values, book: _Book) -> dict[str, str]:
    if F.META_SHEET not in book.sheets:
        return {}
    cells = values.load(F.META_SHEET, [_META_BOX])
    meta: dict[str, str] = {}
    for row in sorted({r for r, _ in cells}):
        key, value = cells.get((row, 0)), cells.get((row, 1))
        if isinstance(key, str) and key:
            meta[key.strip()] = cell_text(value) or ""
    return meta


def _boxes(book: _Book) -> dict[str, list[Box]]:
    """Per sheet, the ranges the contract's defined names point at (the only cells read)."""
    wanted = {spec.name for spec in F.FIELDS} | {table.name for table in F.TABLES}
    boxes: dict[str, list[Box]] = {}
    for key in wanted:
        parsed = _parse_ref(book.names.get(key, ""))
        if parsed is not None and parsed[0] in book.sheets:
            boxes.setdefault(parsed[0], []).append(Box(*parsed[1:]))
    return boxes


def read_return(path: Path | str, data: bytes, max_mb: float = 20.0, name: str | None = None,
                report_types: Mapping[str, str] | None = None) -> RawReturn:
    """Read a return's fields and table rows by defined name; raise `ReturnUnreadable` if it can't be.

    `data` is the file's bytes (already checked against the size limit by the caller, who
    also needs them for the hash). `name` is how the file is named in problems.
    `report_types` maps each project on the portfolio to the report type it owes this period:
    the portfolio, not the file's own `_meta`, decides which fields a return must have.
    """
    path = Path(path)
    name = name or path.name
    _check_container(name, path.suffix.lower(), data)
    package = _open_zip(name, data, max_mb)
    book = _workbook_xml(name, package)
    values = _Values(name, package, book)
    warnings: list[Problem] = []
    if book.macros:
        warnings.append(Problem(
            "The workbook contains macros (VBA); they were not run and are ignored: only the values were read.",
            file=name, code="macros_ignored", severity="warning",
            fix="Nothing to do for this return; next time please return the template as .xlsx.",
        ))
    if book.external_links:
        warnings.append(Problem(
            "The workbook links to other workbooks; the links were not followed: values were read as last saved.",
            file=name, code="external_links", severity="warning",
            fix="Check the linked values look right; next time please type values rather than linking them.",
        ))

    meta = _meta(values, book)
    project_field = _parse_ref(book.names.get("project_id", ""))
    if not meta and project_field is None:
        raise _fail(name, "not_a_template", "This workbook is not a pmo highlight-report template: it has neither the hidden "
                          "_meta sheet nor a 'project_id' field.", _FRESH_TEMPLATE)
    for sheet, boxes in _boxes(book).items():
        values.load(sheet, boxes)
    project_id = meta.get("project_id") or None
    if project_field is not None:
        field_id = cell_text(values.cell(project_field[0], project_field[1], project_field[2]).value)
        project_id = project_id or field_id
    version = meta.get("template_version") or None
    if not meta:
        # Without `_meta` the version is unknown: reading on would skip the version check.
        raise ReturnUnreadable([Problem(
            "The template's hidden _meta sheet (which records the template version, project and report type) is "
            "missing, so pmo cannot tell which template this is.", file=name, code="template_version",
            sheet=F.META_SHEET, fix=_FRESH_TEMPLATE)], project_id)
    if version not in KNOWN_VERSIONS:
        raise _fail(name, "template_version", f"The template version is '{version or 'blank'}', which this pmo cannot read "
                          f"(it reads version {', '.join(KNOWN_VERSIONS)}).",
                    "Send the sender this period's template and ask them to fill that in.",
                    sheet=F.META_SHEET, value=version)

    file_type = meta.get("report_type") or (FULL if "budget_approved" in book.names else SIMPLIFIED)
    owed = (report_types or {}).get(project_id or "")
    report_type = owed or file_type
    if report_type not in REPORT_TYPES:
        raise ReturnUnreadable([Problem(
            f"The report type in the template is '{report_type}', not one of {', '.join(REPORT_TYPES)}.",
            file=name, code="report_type", sheet=F.META_SHEET, value=report_type, fix=_FRESH_TEMPLATE)], project_id)
    if owed and file_type != owed:
        raise ReturnUnreadable([Problem(
            f"This return is on the {file_type} template, but {project_id} owes a {owed} report this period "
            f"(by its stage on the portfolio){', which includes the budget figures' if owed == FULL else ''}.",
            file=name, code="report_type_mismatch", sheet=F.META_SHEET, value=file_type,
            fix="Send the sender this period's template for the project and ask them to fill that in.")], project_id)

    problems: list[Problem] = [Problem(
        f"The defined name '{key}' is defined more than once in the workbook, pointing at different cells, so pmo "
        "cannot tell which cell holds the field.", file=name, code="duplicate_name", field=_label_of(key),
        value=key, fix=_FRESH_TEMPLATE) for key in book.duplicates if _label_of(key)]
    raw = RawReturn(path, name, project_id, report_type, version, warnings=warnings)
    for spec in F.fields_for(report_type, version):
        ref = _located(name, book, spec.name, spec.label, problems)
        if ref is not None:
            raw.fields[spec.name] = values.cell(ref[0], ref[1], ref[2])
    for table in F.TABLES:
        ref = _located(name, book, table.name, table.label, problems)
        if ref is None:
            continue
        sheet, r1, c1, r2, c2 = ref
        if c2 - c1 + 1 < len(table.columns):
            problems.append(Problem(
                f"The '{table.label}' table has lost a column (its defined name '{table.name}' now covers "
                f"{c2 - c1 + 1} columns, not {len(table.columns)}).", file=name, code="table_columns", field=table.label, sheet=sheet,
                fix=_FRESH_TEMPLATE))
            continue
        rows = []
        box = Box(r1, c1, r2, c1 + len(table.columns) - 1)
        for r in values.rows_present(sheet, box):  # only rows that hold something: empty rows are ignored
            cells = {key: values.cell(sheet, r, c1 + i) for i, (key, _, _) in enumerate(table.columns)}
            if any(cell_text(c.value) is not None for c in cells.values()):
                rows.append(cells)
        raw.tables[table.name] = rows
    if problems:
        raise ReturnUnreadable(problems, project_id)
    return raw


def _label_of(key: str) -> str:
    """The label of a contract name (a field or a table), or "" for a name pmo does not use."""
    if key in F.FIELD_BY_NAME:
        return F.FIELD_BY_NAME[key].label
    table = F.TABLE_BY_NAME.get(key)
    return table.label if table else ""


def _located(name: str, book: _Book, key: str, label: str, problems: list[Problem]):
    """The parsed reference of a defined name, or None with a problem saying what is wrong."""
    ref = book.names.get(key)
    if ref is None:
        problems.append(Problem(
            f"The field '{label}' cannot be found: its defined name '{key}' is missing from the workbook "
            "(it was probably deleted, or its cell was cut or deleted).",
            file=name, code="name_missing", field=label, fix=_FRESH_TEMPLATE))
        return None
    parsed = _parse_ref(ref)
    if parsed is None or parsed[0] not in book.sheets:
        broken = "#REF!" in ref
        problems.append(Problem(
            f"The field '{label}' cannot be found: its defined name '{key}' "
            + ("no longer points at a cell (#REF!: its cell was deleted)." if broken
               else f"points at '{ref}', which is not a cell of this workbook."),
            file=name, code="name_broken", field=label, value=ref, fix=_FRESH_TEMPLATE))
        return None
    return parsed
