"""Returns as partners make them: good, messy but valid, and the bad-input corpus.

Every return starts as the template pmo itself writes for the project and month
(`etl.partner.fill_return`, i.e. `etl.templates.write_template` with answers typed in).
What a partner's spreadsheet program then does to the file is simulated by editing the
saved workbook's zip parts with `zipfile` and plain text edits of the XML (inserting
rows, moving a cell, merging cells, a formula, an external link, macros). Files that are
not workbooks at all (a CSV renamed `.xlsx`, an old `.xls`, an `.ods`, a password-protected
workbook) are made byte by byte by the functions here; nothing is a committed binary.

`CASES` is the bad-input corpus: each `Case` is a builder plus what ingest must say about
the file (outcome, a fragment of the message, the field and, through the field's defined
name in the file, the cell).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import shutil
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import openpyxl

from etl.contracts import fields as F
from etl.config import Settings
from etl.demo.partner import fill_return, plan_row, set_received
from etl.rules.periods import FULL, Period
from etl.cycle.portfolio import reporting_plan
from etl.cycle.templates import Answers, TemplateContext, template_name

#: The month the corpus is written for, and the day its returns "arrive" (before the due date).
PERIOD = Period(2023, 9)
RECEIVED = dt.date(2023, 10, 6)

ACCEPTED = "Accepted"
SUPERSEDES = "Accepted (supersedes earlier return)"
REJECTED = "Rejected"
DUPLICATE = "Duplicate (skipped)"
SKIPPED = "Skipped"

SHEET_XML = "xl/worksheets/sheet1.xml"  # the Highlight Report sheet: the writer adds it first
WORKBOOK_XML = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"


# ----------------------------------------------------------------------- good returns


def context_for(portfolio, project_id: str, period: Period | str = PERIOD, settings: Settings | None = None,
                rag_previous: str | None = None) -> TemplateContext:
    """The template context pmo would use for this project and month."""
    settings = settings or Settings()
    period = Period.parse(period)
    row = plan_row(reporting_plan(portfolio, period, settings), project_id)
    return TemplateContext.from_plan_row(row, period, settings, {"rag_this_period": rag_previous} if rag_previous else None)


def good_answers(report_type: str, period: Period | str = PERIOD, rag: str = "Green") -> Answers:
    """What a careful project manager types: every required field, proper dates and amounts."""
    period = Period.parse(period)
    end = period.last_day
    values: dict[str, Any] = {
        "forecast_completion_date": dt.date(end.year + 1, 3, 31),
        "project_description": "Resurfacing and junction improvements on the A141 to cut congestion and improve bus reliability.",
        "project_outcomes": "Shorter, more reliable journeys; safer crossings for pedestrians and cyclists.",
        "rag_this_period": rag,
        "pm_update": "Detailed design signed off; contractor mobilised on site; two community drop-in sessions held.",
        "sponsor_comments": "Content with progress this period.",
        "completed_by": "Sam Patel",
        "completed_date": end + dt.timedelta(days=3),
    }
    if report_type == FULL:
        values.update({
            "budget_approved": 2_500_000,
            "spend_to_date": 1_100_000,
            "forecast_outturn": 2_450_000,
            "next_key_milestone": "Phase 2 works start",
            "next_key_milestone_date": end + dt.timedelta(days=45),
            "outcomes_and_impacts": "Bus journey times on the corridor expected to fall by 8%.",
            "top_risk": "Utility diversions take longer than planned.",
            "top_risk_mitigation": "Early engagement with UK Power Networks; float held in the programme.",
        })
    tables = {
        "milestones_this_period": [("Detailed design approved", "Completed", end - dt.timedelta(days=12)),
                                   ("Contractor mobilised", "On track", end - dt.timedelta(days=2))],
        "milestones_next_period": [("Phase 2 works start", end + dt.timedelta(days=45))],
        "risks": [("Utility diversions take longer than planned", "Early engagement with utilities", "High"),
                  ("Material price inflation", "Fixed-price contract for main works", "Medium")],
    }
    return Answers(values=values, tables=tables)


def with_values(answers: Answers, **changes: Any) -> Answers:
    """The same answers with some fields typed differently (None leaves the cell blank)."""
    return Answers(values={**answers.values, **changes}, tables=answers.tables)


def good_return(folder: Path, portfolio, project_id: str, period: Period | str = PERIOD,
                answers: Answers | None = None, received: dt.date | dt.datetime = RECEIVED,
                name: str | None = None, settings: Settings | None = None) -> Path:
    """A partner filled in every required field properly and sent the return back on time."""
    ctx = context_for(portfolio, project_id, period, settings)
    return fill_return(folder, ctx, answers or good_answers(ctx.report_type, period), received, name)


def messy_answers(report_type: str, period: Period | str = PERIOD) -> Answers:
    """A partner who types as people do: lower-case and spaced RAGs, dotted and wordy dates,
    `£1.2m` and `£250k`, non-breaking spaces; all of it valid once normalised."""
    period = Period.parse(period)
    base = good_answers(report_type, period)
    values = {**base.values,
              "rag_this_period": " amber ",
              "forecast_completion_date": f"31.03.{period.year + 2}",
              "completed_date": period.last_day.strftime("%d/%m/%Y"),
              "completed_by": "Sam\u00a0Patel ",
              "pm_update": "Works\u00a0progressing;  utility diversions  slipped two weeks.\u00a0"}
    if report_type == FULL:
        values.update({"budget_approved": "£1.2m", "spend_to_date": "£250k", "forecast_outturn": "1,200,000",
                       "next_key_milestone_date": f"31st March {period.year + 1}"})
    tables = dict(base.tables)
    tables["risks"] = [("Contractor capacity", "Weekly progress meetings", " high")]
    return Answers(values=values, tables=tables)


#: RAG typings that must all normalise to the scale (typed -> stored).
MESSY_RAGS = {"amber": "Amber", " G ": "Green", "A/G": "Green/Amber", "Green / Amber": "Green/Amber",
              "Amber-Red": "Amber/Red", "AR": "Amber/Red", "R": "Red"}


# ----------------------------------------------------------------------- editing a saved return


def rewrite_zip(path: Path, change: dict[str, Callable[[bytes], bytes] | None] | None = None,
                add: dict[str, bytes] | None = None, target: Path | None = None) -> Path:
    """Rewrite the workbook's parts: `change` maps a part to an edit (None removes it), `add` adds parts.

    The file keeps its modification time (the day the partner sent it).
    """
    change, add = change or {}, add or {}
    stat = path.stat()
    with zipfile.ZipFile(path) as zin:
        parts = [(info.filename, zin.read(info)) for info in zin.infolist()]
    missing = set(change) - {name for name, _ in parts}
    assert not missing, f"no such parts in {path.name}: {missing}"
    target = target or path
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts:
            if name in change:
                if change[name] is None:
                    continue
                data = change[name](data)
            zout.writestr(name, data)
        for name, data in add.items():
            zout.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    if target != path:
        path.unlink()
    os.utime(target, (stat.st_atime, stat.st_mtime))
    return target


def parts_of(data: bytes) -> dict[str, bytes]:
    """A workbook's zip parts by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def zip_parts(parts: dict[str, bytes]) -> bytes:
    """A zip (deflated) of these parts, in this order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _text_edit(function: Callable[[str], str]) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8")
        changed = function(text)
        assert changed != text, "the edit changed nothing: the writer's XML is not what this helper expects"
        return changed.encode("utf-8")
    return edit


def name_ref(path: Path, name: str) -> str:
    """Where a defined name points in a saved workbook, e.g. `C24` or `B74:D83`."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        text = wb.defined_names[name].attr_text
    finally:
        wb.close()
    return text.split("!")[-1].replace("$", "")


def name_cell(path: Path, name: str) -> str:
    """The cell a defined name points at in a saved workbook (top-left for a range).

    `table:n:column` names the cell of a table's n-th row and column, e.g. `risks:2:rating`.
    """
    if ":" not in name:
        return name_ref(path, name).split(":")[0]
    table, number, key = name.split(":")
    column, row = re.fullmatch(r"([A-Z]+)(\d+)", name_ref(path, table).split(":")[0]).groups()
    offset = [k for k, _, _ in F.TABLE_BY_NAME[table].columns].index(key)
    return f"{chr(ord(column) + offset)}{int(row) + int(number) - 1}"


_CELL = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def _shift(refs: str, at: int, by: int) -> str:
    def one(m: re.Match) -> str:
        row = int(m.group(4))
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{row + by if row >= at else row}"
    return _CELL.sub(one, refs)


def insert_rows(path: Path, before_row: int, count: int = 2, note: str | None = None) -> Path:
    """A partner inserted `count` rows above spreadsheet row `before_row` (and typed a note in
    the first), as Excel does it: every cell, merge, validation, format and defined name below
    moves down. Made by editing the sheet and workbook XML."""
    def sheet(text: str) -> str:
        text = re.sub(r'<row r="(\d+)"', lambda m: f'<row r="{int(m.group(1)) + count if int(m.group(1)) >= before_row else m.group(1)}"', text)
        text = re.sub(r'\b(r|ref|sqref|activeCell|topLeftCell)="([^"]*)"',
                      lambda m: f'{m.group(1)}="{_shift(m.group(2), before_row, count)}"', text)
        text = re.sub(r'<brk id="(\d+)"', lambda m: f'<brk id="{int(m.group(1)) + count if int(m.group(1)) >= before_row - 1 else m.group(1)}"', text)
        if note:
            new_row = (f'<row r="{before_row}"><c r="B{before_row}" t="inlineStr"><is><t>{note}</t></is></c></row>')
            text = text.replace(f'<row r="{before_row + count}"', new_row + f'<row r="{before_row + count}"', 1)
        return text

    def workbook(text: str) -> str:
        return re.sub(r"(<definedName [^>]*>)([^<]*)(</definedName>)",
                      lambda m: m.group(1) + _shift(m.group(2), before_row, count) + m.group(3), text)

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet), WORKBOOK_XML: _text_edit(workbook)})


def _cell_xml(text: str, ref: str) -> re.Match:
    match = re.search(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', text)
    assert match, f"no cell {ref} in the sheet"
    return match


def _style_of(cell_xml: str) -> str:
    style = re.search(r' s="(\d+)"', cell_xml)
    return f' s="{style.group(1)}"' if style else ""


def move_cell(path: Path, name: str, to_column: str = "E") -> Path:
    """A partner cut the cell of `name` and pasted it further right on the same row: Excel moves
    the defined name with it. Made by editing the sheet and workbook XML."""
    old = name_cell(path, name)
    column, row = re.fullmatch(r"([A-Z]+)(\d+)", old).groups()
    new = f"{to_column}{row}"

    def sheet(text: str) -> str:
        cell = _cell_xml(text, old)
        moved = cell.group(0).replace(f'r="{old}"', f'r="{new}"', 1)
        text = text[:cell.start()] + f'<c r="{old}"{_style_of(cell.group(0))}/>' + text[cell.end():]
        end = text.index("</row>", text.index(f'<row r="{row}"'))
        text = text[:end] + moved + text[end:]
        return re.sub(r'<dimension ref="A1:[A-Z]+(\d+)"/>', rf'<dimension ref="A1:{to_column}\1"/>', text)

    def workbook(text: str) -> str:
        return text.replace(f'name="{name}">\'{F.SHEET}\'!${column}${row}<',
                            f'name="{name}">\'{F.SHEET}\'!${to_column}${row}<')

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet), WORKBOOK_XML: _text_edit(workbook)})


def merge_over(path: Path, name: str) -> Path:
    """A partner merged a field's label and value cells (A:D on its row); Excel keeps only the
    top-left value, the label, so what was typed in the field is lost. XML edit of the sheet."""
    cell = name_cell(path, name)
    row = re.fullmatch(r"[A-Z]+(\d+)", cell).group(1)

    def sheet(text: str) -> str:
        text = text.replace(f'<mergeCell ref="A{row}:B{row}"/>', "", 1)
        text = text.replace(f'<mergeCell ref="C{row}:D{row}"/>', f'<mergeCell ref="A{row}:D{row}"/>', 1)
        count = len(re.findall(r"<mergeCell ", text))
        text = re.sub(r'<mergeCells count="\d+"', f'<mergeCells count="{count}"', text)
        found = _cell_xml(text, cell)
        return text[:found.start()] + f'<c r="{cell}"{_style_of(found.group(0))}/>' + text[found.end():]

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


def formula_in(path: Path, name: str, formula: str) -> Path:
    """A partner typed a formula into a field (e.g. `=1000000+200000`); Excel saved it with its
    cached result, which is what a reader sees. XML edit: the cell gets `<f>` before its `<v>`."""
    cell = name_cell(path, name)

    def sheet(text: str) -> str:
        found = _cell_xml(text, cell)
        xml = found.group(0)
        assert "<v>" in xml, "the field must hold a number for this helper"
        xml = re.sub(r' t="[^"]*"', "", xml).replace("<v>", f"<f>{formula}</f><v>", 1)
        return text[:found.start()] + xml + text[found.end():]

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


def number_in(path: Path, name: str, number: str) -> Path:
    """A field holds a number as the file's XML writes it (`1E+400`, which no spreadsheet
    program would save but a hand-made or generated file can carry). XML edit of its `<v>`."""
    cell = name_cell(path, name)

    def sheet(text: str) -> str:
        found = _cell_xml(text, cell)
        xml = re.sub(r"<v>[^<]*</v>", f"<v>{number}</v>", found.group(0), count=1)
        assert "<v>" in xml, "the field must hold a number for this helper"
        return text[:found.start()] + xml + text[found.end():]

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


def delete_name(path: Path, name: str) -> Path:
    """A partner (or a "tidy-up" macro) deleted one of the template's defined names in Name Manager."""
    def workbook(text: str) -> str:
        return re.sub(rf'<definedName name="{name}">[^<]*</definedName>', "", text)

    return rewrite_zip(path, {WORKBOOK_XML: _text_edit(workbook)})


def add_external_link(path: Path, name: str, book: str = r"file:///C:/Users/partner/Finance/Budget%202023.xlsx") -> Path:
    """A partner filled a field with a formula linking to their own budget workbook: the saved
    file carries an external-link part and the cell keeps the cached value. XML/zip edit."""
    link = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<externalBook r:id="rId1"><sheetNames><sheetName val="Budget"/></sheetNames>'
            '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>2500000</v></cell></row>'
            '</sheetData></sheetDataSet></externalBook></externalLink>')
    link_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" '
                 f'Target="{book}" TargetMode="External"/></Relationships>')

    def rels(text: str) -> str:
        return text.replace("</Relationships>",
                            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" '
                            'Target="externalLinks/externalLink1.xml"/></Relationships>')

    def workbook(text: str) -> str:
        return text.replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rId99"/></externalReferences>', 1)

    def types(text: str) -> str:
        return text.replace("</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" '
                            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>')

    formula_in(path, name, "[1]Budget!$A$1")
    return rewrite_zip(path, {WORKBOOK_RELS: _text_edit(rels), WORKBOOK_XML: _text_edit(workbook),
                              CONTENT_TYPES: _text_edit(types)},
                       add={"xl/externalLinks/externalLink1.xml": link.encode(),
                            "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels.encode()})


def make_macro_enabled(path: Path) -> Path:
    """A partner saved the return as an Excel macro-enabled workbook (`.xlsm`) with a VBA project.
    Zip edit: macro-enabled content type, a `vbaProject.bin` part (an OLE file) and its relationship."""
    def types(text: str) -> str:
        text = text.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                            "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        return text.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')

    def rels(text: str) -> str:
        return text.replace("</Relationships>",
                            '<Relationship Id="rId98" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                            'Target="vbaProject.bin"/></Relationships>')

    vba = ole_compound_file({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nName="VBAProject"\r\n'})
    return rewrite_zip(path, {CONTENT_TYPES: _text_edit(types), WORKBOOK_RELS: _text_edit(rels)},
                       add={"xl/vbaProject.bin": vba}, target=path.with_suffix(".xlsm"))


def pad_with_photo(path: Path, megabytes: float) -> Path:
    """A partner pasted a large site photo into the return: an incompressible image part of
    `megabytes` MB (random bytes, stored), making the file that much bigger. Zip edit."""
    photo = random.Random(3).randbytes(int(megabytes * 1024 * 1024))
    stat = path.stat()
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        z.writestr("xl/media/image1.png", photo)
    os.utime(path, (stat.st_atime, stat.st_mtime))
    return path


BOMB_MIB = 256


def zip_bomb(path: Path) -> Path:
    """A return whose Highlight Report sheet was bloated into a zip bomb: the workbook is a
    few hundred KB on disk, but its sheet part inflates to 256 MiB of spaces. Zip edit,
    streamed with zipfile (the test never holds the inflated part in memory)."""
    stat = path.stat()
    with zipfile.ZipFile(path) as zin:
        parts = [(info.filename, zin.read(info)) for info in zin.infolist()]
    chunk = b" " * (1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts:
            if name != SHEET_XML:
                zout.writestr(name, data)
                continue
            with zout.open(name, "w", force_zip64=True) as member:
                head, tail = data.split(b"<sheetData>", 1)
                member.write(head + b"<sheetData>")
                for _ in range(BOMB_MIB):
                    member.write(chunk)
                member.write(tail)
    path.write_bytes(buffer.getvalue())
    os.utime(path, (stat.st_atime, stat.st_mtime))
    return path


# ----------------------------------------------------------------------- files that are not workbooks


def ole_compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal, valid OLE2 compound file (the container of `.xls`, `.doc`, encrypted OOXML, VBA).

    Version 3, 512-byte sectors: a header, one FAT sector, one directory sector, then each
    stream in its own run of sectors. Streams are padded to the 4096-byte mini-stream cutoff
    so they all live in the main FAT (no mini stream needed).
    """
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    assert len(names) <= 3
    data_sectors: list[bytes] = []
    starts, sizes = {}, {}
    fat = [fat_sector, end_of_chain]  # sector 0: FAT, sector 1: directory
    for name in names:
        data = streams[name].ljust(4096, b"\0")
        sizes[name] = len(data)
        data = data.ljust(-(-len(data) // 512) * 512, b"\0")
        starts[name] = len(fat)
        count = len(data) // 512
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end_of_chain]
        data_sectors += [data[i:i + 512] for i in range(0, len(data), 512)]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", no_stream, right, child) + b"\0" * 16 + struct.pack("<I", 0)
                + b"\0" * 16 + struct.pack("<IQ", start, size))

    directory = entry("Root Entry", 5, no_stream, 1 if names else no_stream, end_of_chain, 0)
    for i, name in enumerate(names, start=1):
        directory += entry(name, 2, i + 1 if i < len(names) else no_stream, no_stream, starts[name], sizes[name])
    empty = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", no_stream, no_stream, no_stream) + b"\0" * 48
    directory = directory.ljust(512, b"\0")
    directory = b"".join(directory[i:i + 128] if directory[i:i + 128].strip(b"\0") else empty for i in range(0, 512, 128))
    assert len(empty) == 128 and len(directory) == 512
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + b"".join(data_sectors)


def xls_bytes() -> bytes:
    """An Excel 97-2003 `.xls`: an OLE2 file with a `Workbook` stream of BIFF8 records (BOF, EOF)."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    return ole_compound_file({"Workbook": bof + eof})


def encrypted_ooxml_bytes() -> bytes:
    """What Excel writes for a password-protected `.xlsx`: an OLE2 file holding
    `EncryptionInfo` (agile encryption, version 4.4) and `EncryptedPackage`, not a zip."""
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
        b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
        b'hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>')
    package = struct.pack("<Q", 13000) + random.Random(5).randbytes(13008)
    return ole_compound_file({"EncryptionInfo": info, "EncryptedPackage": package})


def ods_bytes() -> bytes:
    """A LibreOffice Calc `.ods`: a zip whose first, stored member is the ODF `mimetype`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
                   zipfile.ZIP_DEFLATED)
        z.writestr("content.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                   'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                   'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                   'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
                   '<table:table table:name="Highlight Report"><table:table-row><table:table-cell office:value-type="string">'
                   '<text:p>Status this period</text:p></table:table-cell><table:table-cell office:value-type="string">'
                   '<text:p>Amber</text:p></table:table-cell></table:table-row></table:table>'
                   '</office:spreadsheet></office:body></office:document-content>', zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """A Word document (`.docx`): the covering letter a partner attached with the return."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(CONTENT_TYPES, '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   '<w:body><w:p><w:r><w:t>Please find our highlight report attached.</w:t></w:r></w:p></w:body></w:document>')
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A PDF (`%PDF-`): a partner printed the return to PDF and sent that as well."""
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def not_a_template(path: Path) -> Path:
    """A partner attached their own project tracker (a real `.xlsx`, but no pmo sheets or names)."""
    from etl.workbooks.formats import atomic_workbook

    with atomic_workbook(path) as (workbook, fmt):
        ws = workbook.add_worksheet("Tracker")
        for r, row in enumerate([("Task", "Owner", "Due"), ("Ground investigation", "J Smith", "31/10/2023"),
                                 ("Planning submission", "A Khan", "30/11/2023")]):
            for c, value in enumerate(row):
                ws.write_string(r, c, value)
    return path


# ----------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Env:
    """Where and for what a case builds its file."""

    folder: Path
    portfolio: Any  # DataFrame from load_portfolio
    settings: Settings
    period: Period = PERIOD


@dataclass(frozen=True)
class Case:
    """One file a partner might send, and what ingest must report about it."""

    name: str
    build: Callable[[Env, str], Path]  # (env, project) -> the file, written into env.folder
    outcome: str
    fragment: str | None = None  # found (case-insensitively) in the file's Problem text
    field: str | None = None  # the Field column of that problem: a field, or `table:column`
    cell_of: str | None = None  # the problem's Cell: where this name (or `table:row:column`) is in the file
    project: str = "CPCA-020"
    severity: str | None = None  # "error" / "warning" when it matters
    code: str | None = None  # the problem's stable code (the validation report's Code column)

    @property
    def simulates(self) -> str:
        return (self.build.__doc__ or "").strip().splitlines()[0]


def _good(env: Env, project: str, answers: Answers | None = None, name: str | None = None,
          period: Period | None = None) -> Path:
    return good_return(env.folder, env.portfolio, project, period or env.period, answers,
                       name=name, settings=env.settings)


def _answers(env: Env, project: str, **changes: Any) -> Answers:
    report_type = context_for(env.portfolio, project, env.period, env.settings).report_type
    return with_values(good_answers(report_type, env.period), **changes)


def _write(env: Env, name: str, data: bytes) -> Path:
    path = env.folder / name
    path.write_bytes(data)
    set_received(path, RECEIVED)
    return path


def build_csv_renamed(env: Env, project: str) -> Path:
    """A partner exported the sheet to CSV and renamed the file `.xlsx`."""
    text = f"Project ID,Reporting month,Status this period\n{project},{env.period},Amber\n"
    return _write(env, template_name(project, env.period), text.encode("utf-8"))


def build_xls(env: Env, project: str) -> Path:
    """A partner saved the return in the old Excel 97-2003 format (`.xls`)."""
    return _write(env, f"{project}_{env.period}_highlight.xls", xls_bytes())


def build_ods(env: Env, project: str) -> Path:
    """A partner saved the return from LibreOffice Calc as OpenDocument (`.ods`)."""
    return _write(env, f"{project}_{env.period}_highlight.ods", ods_bytes())


def build_password(env: Env, project: str) -> Path:
    """A partner protected the workbook with a password to open it (encrypted OOXML, still `.xlsx`)."""
    return _write(env, template_name(project, env.period), encrypted_ooxml_bytes())


def build_zero_bytes(env: Env, project: str) -> Path:
    """An attachment that saved as an empty (0-byte) file."""
    return _write(env, template_name(project, env.period), b"")


def build_truncated(env: Env, project: str) -> Path:
    """A download cut off half-way: the first half of a good return's bytes."""
    data = _good(env, project).read_bytes()
    return _write(env, template_name(project, env.period), data[: len(data) // 2])


def build_oversized(env: Env, project: str) -> Path:
    """A partner pasted a 3 MB site photo into the return (over a 2 MB size limit)."""
    return pad_with_photo(_good(env, project), 3)


def build_zip_bomb(env: Env, project: str) -> Path:
    """A return bloated into a zip bomb: 260 KB on disk, 256 MiB when inflated."""
    return zip_bomb(_good(env, project))


def build_xlsm(env: Env, project: str) -> Path:
    """A partner saved the return as a macro-enabled workbook (`.xlsm`) with a VBA project."""
    return make_macro_enabled(_good(env, project))


def build_external_link(env: Env, project: str) -> Path:
    """A partner linked the budget figure to their own finance workbook (an external link)."""
    return add_external_link(_good(env, project), "budget_approved")


def build_not_template(env: Env, project: str) -> Path:
    """A partner attached their own project tracker instead of the highlight report."""
    return not_a_template(env.folder / f"{project} tracker.xlsx")


def build_unknown_version(env: Env, project: str) -> Path:
    """A return on a template from a future pmo (template version 9.9 in `_meta`)."""
    with mock.patch.object(F, "TEMPLATE_VERSION", "9.9"):
        return _good(env, project)


def build_unknown_project(env: Env, project: str) -> Path:
    """A template for a project that is not on the portfolio (CPCA-999, copied and edited)."""
    ctx = context_for(env.portfolio, project, env.period, env.settings)
    ctx.project_id, ctx.project_name = "CPCA-999", "Ely Southern Bypass Phase 3"
    return fill_return(env.folder, ctx, good_answers(ctx.report_type, env.period), RECEIVED)


def build_wrong_period(env: Env, project: str) -> Path:
    """A partner sent last month's return again (period 2023-08) into this month's batch."""
    return _good(env, project, period=env.period.shift(-1))


def build_deleted_name(env: Env, project: str) -> Path:
    """The defined name `rag_this_period` was deleted from the return."""
    return delete_name(_good(env, project), "rag_this_period")


def build_blank_required(env: Env, project: str) -> Path:
    """A partner left the required project manager update blank."""
    return _good(env, project, _answers(env, project, pm_update=None))


def build_rag_purple(env: Env, project: str) -> Path:
    """A partner typed a RAG outside the scale: `Purple`."""
    return _good(env, project, _answers(env, project, rag_this_period="Purple"))


def build_month_only(env: Env, project: str) -> Path:
    """A partner typed a month, not a date: forecast completion `March 2025`."""
    return _good(env, project, _answers(env, project, forecast_completion_date="March 2025"))


def build_negative_budget(env: Env, project: str) -> Path:
    """A partner typed a negative approved budget (-250000)."""
    return _good(env, project, _answers(env, project, budget_approved=-250000))


def build_completed_future(env: Env, project: str) -> Path:
    """A partner dated the sign-off in the future (a year after today)."""
    return _good(env, project, _answers(env, project, completed_date=dt.date.today() + dt.timedelta(days=365)))


def build_formula(env: Env, project: str) -> Path:
    """A partner typed the budget as a formula `=1000000+200000` (Excel saved its result)."""
    return formula_in(_good(env, project, _answers(env, project, budget_approved=1_200_000)),
                      "budget_approved", "1000000+200000")


def build_merged(env: Env, project: str) -> Path:
    """A partner merged the RAG row's label and value cells; Excel kept the label, lost the RAG."""
    return merge_over(_good(env, project), "rag_this_period")


def build_money_text(env: Env, project: str) -> Path:
    """A partner typed the approved budget as text: `1,200,000`."""
    return _good(env, project, _answers(env, project, budget_approved="1,200,000"))


def build_money_overflow(env: Env, project: str) -> Path:
    """A file whose approved budget cell holds `1E+400` (read as infinity)."""
    return number_in(_good(env, project, _answers(env, project, budget_approved=1)), "budget_approved", "1E+400")


def build_money_absurd(env: Env, project: str) -> Path:
    """A file whose approved budget cell holds `1.7E+308`, the largest number a computer keeps."""
    return number_in(_good(env, project, _answers(env, project, budget_approved=1)), "budget_approved", "1.7E+308")


def build_money_decimal_comma(env: Env, project: str) -> Path:
    """A partner typed £2.5m with a decimal comma: `2,5m` (not £25,000,000)."""
    return _good(env, project, _answers(env, project, spend_to_date="2,5m"))


def build_money_european(env: Env, project: str) -> Path:
    """A partner typed `1.234,56` (continental separators; not £1.23)."""
    return _good(env, project, _answers(env, project, forecast_outturn="1.234,56"))


def build_money_words(env: Env, project: str) -> Path:
    """A partner wrote the money in words and letters: `£4.6 million`, `4.6m`, `£4.7 m`."""
    return _good(env, project, _answers(env, project, budget_approved="£4.6 million", spend_to_date="1.2m",
                                        forecast_outturn="£4.7 m"))


def build_not_rated_without_reason(env: Env, project: str) -> Path:
    """A partner chose `Not rated` as the status but gave no reason."""
    return _good(env, project, _answers(env, project, rag_this_period="Not rated"))


def build_not_rated(env: Env, project: str) -> Path:
    """A partner chose `Not rated`, with the reason `On hold` and an explanation."""
    return _good(env, project, _answers(env, project, rag_this_period="Not rated", not_rated_reason="On hold",
                                        not_rated_note="Paused by the Board until the funding bid is decided."))


def build_fifo(env: Env, project: str) -> Path:
    """Something in the folder that is not a regular file (a named pipe): must not hang ingest."""
    path = env.folder / f"{project}_{env.period}_highlight (pipe).xlsx"
    os.mkfifo(path)
    return path


def build_pdf(env: Env, project: str) -> Path:
    """A partner also sent the return printed to PDF."""
    return _write(env, f"{project}_{env.period}_highlight.pdf", pdf_bytes())


def build_docx(env: Env, project: str) -> Path:
    """A partner's covering letter (`.docx`) saved with the returns."""
    return _write(env, f"{project} covering letter.docx", docx_bytes())


def build_lock_file(env: Env, project: str) -> Path:
    """Excel's owner file (`~$…xlsx`) left behind while someone had a return open."""
    return _write(env, f"~${project}_{env.period}_highlight.xlsx", b"\x0bPMO Officer" + b" " * 43 + b"\x0b\x00P\x00M\x00O" + b"\x00" * 100)


def build_inserted_rows_purple(env: Env, project: str) -> Path:
    """A partner inserted two rows above the project status section and typed `Purple` as the
    RAG: the problem must be reported at the RAG cell where it now is, two rows down."""
    path = _good(env, project, _answers(env, project, rag_this_period="Purple"))
    rag_row = int(re.search(r"\d+", name_cell(path, "rag_this_period")).group())
    return insert_rows(path, rag_row - 1, 2, "Status agreed with the sponsor on 2 October")


def build_inserted_rows(env: Env, project: str) -> Path:
    """A partner inserted two rows above the milestones (a note to the PMO in the first)."""
    path = _good(env, project)
    first = int(re.search(r"\d+", name_cell(path, "milestones_this_period")).group())
    return insert_rows(path, first - 2, 2, "Note: milestone dates agreed with the sponsor")


def build_moved_rag(env: Env, project: str) -> Path:
    """A partner cut the RAG cell and pasted it one column further right (the name moves with it)."""
    return move_cell(_good(env, project, _answers(env, project, rag_this_period="Amber")), "rag_this_period")


def build_messy(env: Env, project: str) -> Path:
    """A partner who types as people do: ` amber `, `31.03.2025`, `£1.2m`, `£250k`, nbsp."""
    report_type = context_for(env.portfolio, project, env.period, env.settings).report_type
    return _good(env, project, messy_answers(report_type, env.period))


def build_not_due(env: Env, project: str) -> Path:
    """A partner on a two-monthly cycle sent a return in a month they were not due."""
    return _good(env, project)


def build_bad_risk_rating(env: Env, project: str) -> Path:
    """A partner rated their second risk `Very high` (not High, Medium or Low)."""
    answers = _answers(env, project)
    risks = [answers.tables["risks"][0], ("Contractor insolvency", "Parent company guarantee", "Very high")]
    return _good(env, project, Answers(answers.values, {**answers.tables, "risks": risks}))


def build_impossible_date(env: Env, project: str) -> Path:
    """A partner typed a date that does not exist: `31/02/2024` for the next key milestone."""
    return _good(env, project, _answers(env, project, next_key_milestone_date="31/02/2024"))


def build_implausible_date(env: Env, project: str) -> Path:
    """A partner mistyped the year of the forecast completion: `31/03/1925` for 2025."""
    return _good(env, project, _answers(env, project, forecast_completion_date="31/03/1925"))


def build_milestone_without_text(env: Env, project: str) -> Path:
    """A partner cleared a milestone's description but left its status and date in the row."""
    answers = _answers(env, project)
    rows = answers.tables["milestones_this_period"]
    blanked = [rows[0], (None, *rows[1][1:])]
    return _good(env, project, Answers(answers.values, {**answers.tables, "milestones_this_period": blanked}))


def build_duplicate(env: Env, project: str) -> Path:
    """A partner sent the same return twice (identical bytes, saved again as `Copy of …`)."""
    first = _good(env, project)
    copy = first.with_name("Copy of " + first.name)
    shutil.copy2(first, copy)
    return copy


def stray_cell(path: Path, ref: str = "XFD1048576") -> Path:
    """A partner (or a stuck key) left one value in a far-away cell such as XFD1048576, the last
    cell of a sheet: the file stays small but the sheet's dimension becomes the whole grid.
    XML edit: the cell in a row of its own at the end of the sheet data, and the dimension."""
    row = re.search(r"\d+", ref).group()

    def sheet(text: str) -> str:
        text = text.replace("</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>', 1)
        return re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{ref}"/>', text)

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def save_as_strict(path: Path) -> Path:
    """A partner saved the return in Excel as "Strict Open XML Spreadsheet": the same parts in
    the ISO Strict namespaces (spreadsheet and relationship namespaces and relationship types).
    XML edit of every part's namespace URIs."""
    transitional_main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    transitional_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    def strict(data: bytes) -> bytes:
        return data.replace(transitional_main.encode(), STRICT_MAIN.encode()).replace(
            transitional_rel.encode(), STRICT_REL.encode())

    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if n.endswith((".xml", ".rels"))]
    return rewrite_zip(path, {part: strict for part in parts})


def duplicate_name(path: Path, name: str, ref: str = "$C$90") -> Path:
    """A partner copied the status block in Name Manager: a second workbook-level defined name
    with the same name pointing at another cell. XML edit of the workbook's defined names."""
    def workbook(text: str) -> str:
        return text.replace("</definedNames>",
                            f"<definedName name=\"{name}\">'{F.SHEET}'!{ref}</definedName></definedNames>", 1)

    return rewrite_zip(path, {WORKBOOK_XML: _text_edit(workbook)})


def drop_meta(path: Path) -> Path:
    """A partner's tool dropped the very hidden `_meta` sheet (its entry in the workbook is gone)."""
    return rewrite_zip(path, {WORKBOOK_XML: _text_edit(lambda text: re.sub(r'<sheet name="_meta"[^>]*/>', "", text))})


def uncalculated_formula(path: Path, name: str, error: bool = False) -> Path:
    """A partner's field holds a formula saved without its result (a tool that does not calculate
    wrote `<f>` and no `<v>`); with `error`, typed as an error cell (`t="e"`) with no cached value."""
    ref = name_cell(path, name)

    def sheet(text: str) -> str:
        found = _cell_xml(text, ref)
        kind = ' t="e"' if error else ""
        return text[:found.start()] + f'<c r="{ref}"{_style_of(found.group(0))}{kind}><f>B31/0</f></c>' + text[found.end():]

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


def error_cells_without_values(path: Path, count: int) -> Path:
    """`count` cells whose formulas ended in errors, saved without cached values, in rows below the
    form (the worst case for a reader that searches the XML for each error's value)."""
    def sheet(text: str) -> str:
        rows = "".join(f'<row r="{1000 + i}"><c r="F{1000 + i}" t="e"><f>1/0</f></c></row>' for i in range(count))
        text = text.replace("</sheetData>", rows + "</sheetData>", 1)
        return re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:F{1000 + count}"/>', text)

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


def build_far_cell(env: Env, project: str) -> Path:
    """One stray value at XFD1048576 (the sheet's last cell) in an otherwise good 14 KB return."""
    return stray_cell(_good(env, project), "XFD1048576")


def build_far_cell_aaa(env: Env, project: str) -> Path:
    """One stray value at AAA60000 in an otherwise good return (a grid of 703 x 60000 cells)."""
    return stray_cell(_good(env, project), "AAA60000")


def build_strict(env: Env, project: str) -> Path:
    """A partner saved the return as Excel's "Strict Open XML Spreadsheet"."""
    return save_as_strict(_good(env, project))


def build_duplicate_name(env: Env, project: str) -> Path:
    """A second defined name `rag_this_period` (pointing at another cell) was added to the return."""
    return duplicate_name(_good(env, project), "rag_this_period")


def build_simplified_for_delivery(env: Env, project: str) -> Path:
    """A Delivery project's partner returned the Simplified template (no budget figures)."""
    ctx = context_for(env.portfolio, project, env.period, env.settings)
    ctx.report_type = "Simplified"
    return fill_return(env.folder, ctx, good_answers("Simplified", env.period), RECEIVED)


def build_no_meta(env: Env, project: str) -> Path:
    """The hidden `_meta` sheet (template version, project, report type) was removed."""
    return drop_meta(_good(env, project))


def build_negative_date(env: Env, project: str) -> Path:
    """A partner typed -5 into the (date-formatted) forecast completion date."""
    return _good(env, project, _answers(env, project, forecast_completion_date=-5))


def build_uncalculated_formula(env: Env, project: str) -> Path:
    """The spend to date holds a formula saved without its result (no cached value)."""
    return uncalculated_formula(_good(env, project), "spend_to_date")


def build_error_without_value(env: Env, project: str) -> Path:
    """The spend to date is an error cell (`t="e"`) with no cached value, among 2,000 more below."""
    path = uncalculated_formula(_good(env, project), "spend_to_date", error=True)
    return error_cells_without_values(path, 2000)


def build_received_in_future(env: Env, project: str) -> Path:
    """A return whose file is dated 1 January 2200 (a partner's computer clock far in the future)."""
    path = _good(env, project)
    set_received(path, dt.datetime(2200, 1, 1, 9, 0))
    return path


def build_received_before_period(env: Env, project: str) -> Path:
    """A return whose file is dated before the period began (filled in on an old copy)."""
    path = _good(env, project)
    set_received(path, dt.datetime(env.period.year, env.period.month, 1) - dt.timedelta(days=20))
    return path


def build_terminal_escapes(env: Env, project: str) -> Path:
    """A RAG cell holding ANSI escape sequences and a carriage return that, printed raw, would
    erase the "Rejected:" lines and show a fake all-clear."""
    return _good(env, project, _answers(env, project, rag_this_period="\x1b[1A\x1b[2K\rAccepted 1, rejected 0"))


def build_entity_bomb(env: Env, project: str) -> Path:
    """A sheet whose XML declares nested entities (a "billion laughs" XML bomb) used in a cell.
    XML edit of the Highlight Report sheet: a DOCTYPE before the root, the entity in the RAG cell."""
    path = _good(env, project)
    cell = name_cell(path, "rag_this_period")
    doctype = ('<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')

    def sheet(text: str) -> str:
        found = _cell_xml(text, cell)
        text = text[:found.start()] + f'<c r="{cell}" t="inlineStr"><is><t>&d;</t></is></c>' + text[found.end():]
        return text.replace("?>", "?>" + doctype, 1)

    return rewrite_zip(path, {SHEET_XML: _text_edit(sheet)})


#: The bad-input corpus (and the messy-but-valid files a batch must still accept).
#: Each case has its own project so that accepted ones do not supersede each other.
CASES: tuple[Case, ...] = (
    Case("csv_renamed_xlsx", build_csv_renamed, REJECTED, "CSV", project="CPCA-008", code="csv_not_workbook"),
    Case("xls", build_xls, REJECTED, ".xls", project="CPCA-009", code="legacy_xls"),
    Case("ods", build_ods, REJECTED, "OpenDocument", project="CPCA-010", code="ods_not_xlsx"),
    Case("password_protected", build_password, REJECTED, "password-protected", project="CPCA-011", code="encrypted"),
    Case("zero_bytes", build_zero_bytes, REJECTED, "empty", project="CPCA-012", code="empty_file"),
    Case("truncated", build_truncated, REJECTED, "damaged", project="CPCA-013", code="damaged"),
    Case("over_size_limit", build_oversized, REJECTED, "MB limit", project="CPCA-016", code="too_big"),
    Case("zip_bomb", build_zip_bomb, REJECTED, "zip bomb", project="CPCA-014", code="zip_bomb"),
    Case("xlsm", build_xlsm, ACCEPTED, "macro", project="CPCA-034", severity="warning", code="macros_ignored"),
    Case("external_link", build_external_link, ACCEPTED, "links to other workbooks", project="CPCA-035", severity="warning", code="external_links"),
    Case("not_a_template", build_not_template, REJECTED, "not a pmo highlight-report template", project="CPCA-015", code="not_a_template"),
    Case("unknown_template_version", build_unknown_version, REJECTED, "template version", project="CPCA-038", code="template_version"),
    Case("unknown_project", build_unknown_project, REJECTED, "not on the portfolio", "project_id", "project_id",
         project="CPCA-042", code="not_on_portfolio"),
    Case("wrong_period", build_wrong_period, REJECTED, "2023-08", "period", "period", project="CPCA-043", code="wrong_period"),
    Case("deleted_defined_name", build_deleted_name, REJECTED, "rag_this_period", project="CPCA-044", code="name_missing"),
    Case("blank_required_field", build_blank_required, REJECTED, "required", "pm_update", "pm_update",
         project="CPCA-045", code="required"),
    Case("rag_outside_scale", build_rag_purple, REJECTED, "Purple", "rag_this_period", "rag_this_period",
         project="CPCA-046", code="not_a_rag"),
    Case("month_only_date", build_month_only, REJECTED, "ambiguous", "forecast_completion_date",
         "forecast_completion_date", project="CPCA-048", code="not_a_date"),
    Case("negative_budget", build_negative_budget, REJECTED, "negative", "budget_approved", "budget_approved",
         project="CPCA-049", code="negative"),
    Case("completed_date_in_future", build_completed_future, REJECTED, "future", "completed_date", "completed_date",
         project="CPCA-050", code="future_completed"),
    Case("formula_in_field", build_formula, ACCEPTED, project="CPCA-054"),
    Case("merged_cell_over_input", build_merged, REJECTED, "required", "rag_this_period", "rag_this_period",
         project="CPCA-059", code="required"),
    Case("money_typed_as_text", build_money_text, ACCEPTED, project="CPCA-061"),
    Case("named_pipe", build_fifo, SKIPPED, "not a regular file", project="CPCA-001", code="skipped"),
    Case("pdf", build_pdf, SKIPPED, "not a spreadsheet", project="CPCA-002", code="skipped"),
    Case("docx", build_docx, SKIPPED, "not a spreadsheet", project="CPCA-003", code="skipped"),
    Case("excel_lock_file", build_lock_file, SKIPPED, "hidden file", project="CPCA-004", code="skipped"),
    Case("inserted_rows_and_bad_rag", build_inserted_rows_purple, REJECTED, "Purple", "rag_this_period",
         "rag_this_period", project="CPCA-005", code="not_a_rag"),
    Case("inserted_rows", build_inserted_rows, ACCEPTED, project="CPCA-006"),
    Case("moved_rag_cell", build_moved_rag, ACCEPTED, project="CPCA-007"),
    Case("messy_but_valid", build_messy, ACCEPTED, project="CPCA-028"),
    Case("not_due", build_not_due, ACCEPTED, "not due", project="CPCA-017", severity="warning", code="not_due"),
    Case("risk_rating_outside_list", build_bad_risk_rating, REJECTED, "Very high", "risks:rating", "risks:2:rating",
         project="CPCA-029", code="not_a_risk_rating"),
    Case("impossible_date", build_impossible_date, REJECTED, "31/02/2024", "next_key_milestone_date",
         "next_key_milestone_date", project="CPCA-032", code="not_a_date"),
    Case("duplicate_copy", build_duplicate, DUPLICATE, project="CPCA-019"),
    Case("implausible_date", build_implausible_date, REJECTED, "not a plausible date", "forecast_completion_date",
         "forecast_completion_date", project="CPCA-003", code="implausible_date"),
    Case("milestone_without_description", build_milestone_without_text, REJECTED, "no milestone described",
         "milestones_this_period:milestone", "milestones_this_period:2:milestone", project="CPCA-004", code="milestone_blank"),
    # Issue 15 item 8 (numbers) and issue 17 (one plausibility rule, Not rated with a reason).
    Case("money_overflow", build_money_overflow, REJECTED, "too large to be a real figure", "budget_approved",
         "budget_approved", project="CPCA-022", code="not_finite"),
    Case("money_absurd", build_money_absurd, REJECTED, "more than any project's figure", "budget_approved",
         "budget_approved", project="CPCA-023", code="implausible_amount"),
    Case("money_decimal_comma", build_money_decimal_comma, REJECTED, "'2,5m' is ambiguous", "spend_to_date",
         "spend_to_date", project="CPCA-025", code="ambiguous_amount"),
    Case("money_continental_separators", build_money_european, REJECTED, "'1.234,56' is ambiguous",
         "forecast_outturn", "forecast_outturn", project="CPCA-031", code="ambiguous_amount"),
    Case("money_in_words", build_money_words, ACCEPTED, project="CPCA-037"),
    Case("not_rated_without_reason", build_not_rated_without_reason, REJECTED, "no reason is given",
         "not_rated_reason", "not_rated_reason", project="CPCA-040", code="not_rated_reason_required"),
    Case("not_rated_with_reason", build_not_rated, ACCEPTED, project="CPCA-041"),
    # Issue 15 (hardening): reading by name, report type, received times, terminal text, XML bombs.
    Case("far_stray_cell_xfd1048576", build_far_cell, ACCEPTED, project="CPCA-053"),
    Case("far_stray_cell_aaa60000", build_far_cell_aaa, ACCEPTED, project="CPCA-056"),
    Case("strict_open_xml", build_strict, ACCEPTED, project="CPCA-057"),
    Case("duplicate_defined_name", build_duplicate_name, REJECTED, "defined more than once", "rag_this_period",
         project="CPCA-036", code="duplicate_name"),
    Case("simplified_template_for_delivery_project", build_simplified_for_delivery, REJECTED, "owes a Full report",
         project="CPCA-001", code="report_type_mismatch"),
    Case("meta_sheet_removed", build_no_meta, REJECTED, "_meta sheet", project="CPCA-058", code="template_version"),
    Case("negative_date", build_negative_date, REJECTED, "-5 is not a date", "forecast_completion_date",
         "forecast_completion_date", project="CPCA-039", code="not_a_date"),
    Case("formula_without_saved_result", build_uncalculated_formula, REJECTED, "saved without its result",
         "spend_to_date", "spend_to_date", project="CPCA-010", code="not_a_money"),
    Case("received_in_future", build_received_in_future, ACCEPTED, "in the future", project="CPCA-018",
         severity="warning", code="received_in_future"),
    Case("received_before_period", build_received_before_period, ACCEPTED, "before September 2023 began",
         project="CPCA-021", severity="warning", code="received_before_period"),
    Case("terminal_escapes_in_a_cell", build_terminal_escapes, REJECTED, "Accepted 1, rejected 0", "rag_this_period",
         "rag_this_period", project="CPCA-030", code="not_a_rag"),
    Case("xml_entity_bomb", build_entity_bomb, REJECTED, "declares a DTD or entities", project="CPCA-051",
         code="damaged"),
    Case("error_cells_without_values", build_error_without_value, REJECTED, "saved without its result",
         "spend_to_date", "spend_to_date", project="CPCA-009", code="not_a_money"),
)

CASE_BY_NAME = {case.name: case for case in CASES}
