"""Property-based tests (Hypothesis): whatever a partner or a broken program puts in a file,
the normalisers and the reader answer with a value or a clear error, never a crash or a hang.

Normalisers (`etl.rules.values` parsers, `etl.rules.rag.normalise_rag`, `etl.rules.periods`,
ingest's `normalise`) get random and adversarial values: text with controls and odd Unicode,
huge and non-finite numbers, dates, times, booleans. Only `ValueError` may come out.

The reader (`etl.cycle.reader.read_return`) gets random workbooks: a good return made by pmo
(`helpers_returns.good_return`) with random damage (bytes flipped or cut, a part replaced by
random XML, cells added at random places, defined names pointed anywhere). Only
`ReturnUnreadable` (or `ValueError`) may come out. Examples are bounded and each has a deadline,
so a super-linear path shows up as a failure rather than a slow CI run.
"""

from __future__ import annotations

import functools
import os
import tempfile
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.cycle.ingest import normalise
from etl.cycle.portfolio import load_portfolio
from etl.cycle.reader import RawReturn, read_return
from etl.errors import ReturnUnreadable
from etl.rules import values
from etl.rules.periods import Period
from etl.rules.rag import normalise_rag
from helpers_returns import SHEET_XML, WORKBOOK_XML, good_return, parts_of, zip_parts

# In CI the examples are the same every run (a failure there is reproducible, never flaky);
# locally each run explores new ones, and Hypothesis keeps any failure it finds to replay.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ADVERSARIAL_TEXT = st.sampled_from([
    "", " ", "\u00a0", "1e400", "-1e400", "nan", "inf", "1.7e308", "£1,2,3", "2,5m", "1.234,56", "(((5)))", "--5",
    "31/02/2024", "00/00/0000", "9999-12-31", "0001-01-01", "-5", "1e-400", "\x1b[2K\r", "=cmd|' /C calc'!A0",
    "\u202eAmber", "Ａｍｂｅｒ", "G\u0301reen", "😀", "0x10", "1_000", "٣", "½", "Ⅻ", "\udcff" * 0 + "x" * 10_000,
    "31st Febtember 2024", "March 2025", "12:30", "true", "N/A", "#REF!", "9" * 400,
])
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60), ADVERSARIAL_TEXT,
    st.dates(), st.datetimes(), st.times(), st.timedeltas(),
)
PARSERS = [values.parse_money, values.parse_number, values.parse_date, values.parse_yes_no, values.clean_text,
           values.cell_text, normalise_rag, values.is_email]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=500, suppress_health_check=[HealthCheck.too_slow])
@given(value=ANY_VALUE)
def test_normalisers_answer_or_raise_value_error(parse, value):
    try:
        parse(value)
    except ValueError:
        pass


@pytest.mark.parametrize("kind", ["text", "wrap", "date", "money", "rag", "period", "milestone_status", "risk_rating"])
@settings(max_examples=150, deadline=500)
@given(value=ANY_VALUE)
def test_ingest_normalise_never_raises(kind, value):
    normalise(kind, value)  # an unreadable value comes back as Unparsed, with its reason


@settings(max_examples=200, deadline=200)
@given(text=st.one_of(st.text(max_size=20), ADVERSARIAL_TEXT, st.from_regex(r"\d{4}-\d{2}", fullmatch=True)))
def test_period_parse_answers_or_raises_value_error(text):
    try:
        Period.parse(text)
    except ValueError:
        pass


# ----------------------------------------------------------------------------- the reader


@functools.lru_cache(maxsize=1)
def good_bytes() -> bytes:
    """A good return's bytes (made once, by pmo's own writer)."""
    with tempfile.TemporaryDirectory() as folder:
        return good_return(Path(folder), load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-020").read_bytes()


COLUMN = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)
ROW = st.integers(min_value=1, max_value=1_048_576)
CELL_KIND = st.sampled_from(["", ' t="s"', ' t="e"', ' t="b"', ' t="str"', ' t="d"', ' t="inlineStr"', ' t="zz"'])
CELL_VALUE = st.one_of(st.text(alphabet="0123456789.-eE#!/A-Za-z", max_size=12), st.sampled_from(
    ["1e400", "-5", "99999999", "NaN", "#DIV/0!", "2023-13-45T99:99", "", "4294967296"]))


@st.composite
def damaged(draw, good: bytes) -> bytes:
    """A good return with one random kind of damage."""
    parts = parts_of(good)
    how = draw(st.sampled_from(["cells", "names", "replace_part", "flip", "cut", "styles"]))
    if how == "cells":
        cells = draw(st.lists(st.tuples(COLUMN, ROW, CELL_KIND, CELL_VALUE, st.booleans()), max_size=15))
        style, formula = ' s="3"', "<f>1/0</f>"
        rows = "".join(f'<row r="{r}"><c r="{c}{r}"{k}{style if styled else ""}>'
                       f'{formula if "e" in k else ""}<v>{v}</v></c></row>'
                       for c, r, k, v, styled in cells)
        parts[SHEET_XML] = parts[SHEET_XML].replace(b"</sheetData>", rows.encode() + b"</sheetData>", 1)
    elif how == "names":
        text = parts[WORKBOOK_XML].decode()
        names = re.findall(r'<definedName name="([^"]+)">', text)
        for _ in range(draw(st.integers(1, 5))):
            name = draw(st.sampled_from(names))
            ref = draw(st.one_of(
                st.builds(lambda c1, r1, c2, r2: f"'Highlight Report'!${c1}${r1}:${c2}${r2}", COLUMN, ROW, COLUMN, ROW),
                st.sampled_from(["#REF!", "'Nope'!$A$1", "'Highlight Report'!$A$0", "=1+1", "", "'_meta'!$A$1:$B$9"])))
            text = re.sub(rf'(<definedName name="{re.escape(name)}">)[^<]*(</definedName>)',
                          lambda m: m[1] + ref.replace("&", "&amp;").replace("<", "&lt;") + m[2], text, count=1)
        parts[WORKBOOK_XML] = text.encode()
    elif how == "replace_part":
        name = draw(st.sampled_from(sorted(parts)))
        parts[name] = draw(st.one_of(st.binary(max_size=200), st.sampled_from([
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", b"<worksheet><sheetData><row>",
            b"", b"<sst><si><t>x</t></si>" * 3])))
    elif how == "styles":
        parts["xl/styles.xml"] = draw(st.sampled_from([
            b"<styleSheet><numFmts><numFmt numFmtId='x' formatCode='[h]:mm'/></numFmts><cellXfs><xf numFmtId='q'/></cellXfs></styleSheet>",
            b"<styleSheet><cellXfs>" + b"<xf numFmtId='14'/>" * 20 + b"</cellXfs></styleSheet>", b"garbage"]))
    data = zip_parts(parts)
    if how == "flip":
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data)
    elif how == "cut":
        data = good[: draw(st.integers(0, len(good)))]
    return data


@settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_workbooks_are_read_or_refused_clearly(data):
    workbook = data.draw(damaged(good_bytes()))
    try:
        raw = read_return(Path("random.xlsx"), workbook, max_mb=2)
    except (ReturnUnreadable, ValueError) as exc:
        if isinstance(exc, ReturnUnreadable):
            assert exc.problems and all(p.code for p in exc.problems)
        return
    assert isinstance(raw, RawReturn)
    for cell in raw.fields.values():
        normalise("text", cell.value)


@settings(max_examples=400, deadline=200)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_clean_text_folds_the_same_whatever_path_it_takes(text):
    """Cells of one printable line take a short path; a leading line break forces the general
    one, and is trimmed away, so both must agree on every text."""
    assert values.clean_text(text) == values.clean_text("\n" + text)
