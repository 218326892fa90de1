"""Returns filled the way partners fill them, the helpers that edit them, and the scripted examples."""

from __future__ import annotations

import datetime as dt
import json
import struct

import openpyxl
import pytest

from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT
from etl.contracts import fields as F
from etl.config import Settings
from etl.demo.examples import EXAMPLES as BUNDLED_EXAMPLES
from etl.errors import ConfigError
from etl.demo.examples import load_example_returns
from etl.demo.partner import arrival, fill_period, fill_return
from etl.rules.periods import Period
from etl.cycle.portfolio import due_projects, load_portfolio
from etl.store.db import Store
from etl.cycle.templates import Answers
from helpers_returns import (
    PERIOD, context_for, encrypted_ooxml_bytes, good_answers, insert_rows, messy_answers, move_cell, name_cell,
    name_ref, ole_compound_file, xls_bytes,
)
from helpers_store import store_return
from scripts import make_example_returns


@pytest.fixture(scope="module")
def portfolio():
    return load_portfolio(EXAMPLE_PORTFOLIO_XLSX)


def cell_value(path, name):
    wb = openpyxl.load_workbook(path)
    ref = name_cell(path, name)
    return wb[F.SHEET][ref].value


def test_fill_return_types_answers_into_the_template_and_dates_the_file(tmp_path, portfolio):
    ctx = context_for(portfolio, "CPCA-020")
    path = fill_return(tmp_path, ctx, messy_answers(ctx.report_type), dt.date(2023, 10, 16))
    assert path.name == "CPCA-020_2023-09_highlight.xlsx"
    assert dt.datetime.fromtimestamp(path.stat().st_mtime) == dt.datetime(2023, 10, 16, 9, 30)
    wb = openpyxl.load_workbook(path)
    ws = wb[F.SHEET]
    cell = {name: ws[name_cell(path, name)].value for name in ("project_id", "rag_this_period", "budget_approved",
                                                                  "forecast_completion_date", "completed_by")}
    # Typed as the partner typed it: text stays text, for ingest to normalise.
    assert cell == {"project_id": "CPCA-020", "rag_this_period": " amber ", "budget_approved": "£1.2m",
                    "forecast_completion_date": "31.03.2025", "completed_by": "Sam\u00a0Patel "}
    meta = dict(wb[F.META_SHEET].iter_rows(values_only=True))
    assert meta["project_id"] == "CPCA-020" and meta["period"] == "2023-09"


def test_fill_return_keeps_a_renamed_file_and_an_exact_time(tmp_path, portfolio):
    ctx = context_for(portfolio, "CPCA-013")
    when = dt.datetime(2023, 10, 12, 17, 45)
    path = fill_return(tmp_path, ctx, good_answers(ctx.report_type), when, name="A10 highlight report Sept.xlsx")
    assert path.name == "A10 highlight report Sept.xlsx"
    assert dt.datetime.fromtimestamp(path.stat().st_mtime) == when
    assert cell_value(path, "rag_this_period") == "Green"
    assert "budget_approved" not in openpyxl.load_workbook(path).defined_names  # a simplified report


def test_fill_period_writes_each_scripted_return_with_the_previous_rag_from_the_store(tmp_path, portfolio):
    examples = {"2023-09": load_example_returns(BUNDLED_EXAMPLES / "returns")["2023-09"]}
    with Store(tmp_path / "pmo.db") as store:
        store_return(store, portfolio, "CPCA-016", "2023-08", Answers({"rag_this_period": "Amber/Red"}), tmp_path)
    filled = fill_period(load_portfolio(EXAMPLE_PORTFOLIO_XLSX), PERIOD, Settings(), examples, tmp_path / "in", tmp_path / "pmo.db")
    assert sorted(f.project_id for f in filled) == sorted(examples["2023-09"])
    by_project = {f.project_id: f for f in filled}
    red = by_project["CPCA-016"]
    assert cell_value(red.path, "rag_previous") == "Amber/Red"
    assert cell_value(red.path, "rag_this_period") == "Red"
    assert red.received == arrival(examples["2023-09"]["CPCA-016"].received)
    assert dt.datetime.fromtimestamp(red.path.stat().st_mtime) == red.received
    assert cell_value(by_project["CPCA-013"].path, "rag_previous") is None  # nothing stored before
    assert fill_period(load_portfolio(EXAMPLE_PORTFOLIO_XLSX), Period(2024, 1), Settings(), examples, tmp_path / "none") == []


def test_fill_period_refuses_an_example_for_a_project_not_on_the_portfolio(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"2023-09": {"CPCA-999": {"values": {"rag_this_period": "Green"}}}}))
    with pytest.raises(ConfigError, match="CPCA-999 is not on the portfolio"):
        fill_period(load_portfolio(EXAMPLE_PORTFOLIO_XLSX), PERIOD, Settings(), tmp_path, tmp_path / "out")


def test_a_return_not_scripted_with_a_day_arrives_on_the_due_date(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"2023-09": {"CPCA-020": {"values": {"rag_this_period": "Green"}}}}))
    (filled,) = fill_period(load_portfolio(EXAMPLE_PORTFOLIO_XLSX), PERIOD, Settings(), tmp_path, tmp_path / "out")
    assert filled.received == dt.datetime(2023, 10, 13, 9, 30)


# ----------------------------------------------------------------------- the helpers that edit returns


def test_inserting_rows_moves_cells_names_and_merges_down(tmp_path, portfolio):
    ctx = context_for(portfolio, "CPCA-020")
    path = fill_return(tmp_path, ctx, good_answers(ctx.report_type), dt.date(2023, 10, 2))
    before = {n: name_ref(path, n) for n in ("project_id", "rag_this_period", "milestones_this_period", "risks")}
    rag_row = int(before["rag_this_period"][1:])
    insert_rows(path, rag_row - 1, 2, "A note from the partner")
    wb = openpyxl.load_workbook(path)
    ws = wb[F.SHEET]
    assert name_ref(path, "project_id") == before["project_id"]  # above the insertion: unchanged
    assert name_ref(path, "rag_this_period") == f"C{rag_row + 2}"
    assert ws[f"C{rag_row + 2}"].value == "Green"
    # (template 1.1: the Not rated reason and explanation rows sit between the status and the risks)
    assert name_ref(path, "risks") == "B78:D87" and before["risks"] == "B76:D85"
    assert ws["B78"].value == "Utility diversions take longer than planned"
    assert ws[f"B{rag_row - 1}"].value == "A note from the partner"
    assert f"C{rag_row + 2}:D{rag_row + 2}" in {str(r) for r in ws.merged_cells.ranges}
    assert dt.datetime.fromtimestamp(path.stat().st_mtime) == dt.datetime(2023, 10, 2, 9, 30)


def test_moving_the_rag_cell_moves_its_name_and_value(tmp_path, portfolio):
    ctx = context_for(portfolio, "CPCA-020")
    path = fill_return(tmp_path, ctx, good_answers(ctx.report_type, rag="Amber"), dt.date(2023, 10, 2))
    old = name_cell(path, "rag_this_period")
    move_cell(path, "rag_this_period")
    ws = openpyxl.load_workbook(path)[F.SHEET]
    new = name_cell(path, "rag_this_period")
    assert new == "E" + old[1:]
    assert (ws[old].value, ws[new].value) == (None, "Amber")


def _directory_names(data: bytes) -> list[str]:
    """Stream names in a compound file's first directory sector (per MS-CFB)."""
    first_dir = struct.unpack_from("<I", data, 48)[0]
    sector = data[512 * (first_dir + 1): 512 * (first_dir + 2)]
    names = []
    for i in range(4):
        entry = sector[128 * i: 128 * (i + 1)]
        length = struct.unpack_from("<H", entry, 64)[0]
        if length:
            names.append(entry[: length - 2].decode("utf-16-le"))
    return names


def test_compound_files_are_laid_out_as_ms_cfb_says():
    data = ole_compound_file({"Workbook": b"\x09\x08" + b"\0" * 30})
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert struct.unpack_from("<HHHH", data, 24) == (0x3E, 3, 0xFFFE, 9)
    assert len(data) == 512 * (1 + 2 + 8)  # header, FAT, directory, a 4096-byte stream
    assert _directory_names(xls_bytes()) == ["Root Entry", "Workbook"]
    assert _directory_names(encrypted_ooxml_bytes()) == ["Root Entry", "EncryptionInfo", "EncryptedPackage"]
    fat = struct.unpack_from("<128I", xls_bytes(), 512)
    assert fat[:3] == (0xFFFFFFFD, 0xFFFFFFFE, 3) and fat[9] == 0xFFFFFFFE


def test_messy_answers_are_all_text_a_person_would_type():
    answers = messy_answers("Full")
    assert answers.values["budget_approved"] == "£1.2m" and answers.values["spend_to_date"] == "£250k"
    assert answers.values["next_key_milestone_date"] == "31st March 2024"
    assert "\u00a0" in answers.values["pm_update"]


# ----------------------------------------------------------------------- the scripted example returns


def test_committed_example_returns_are_what_the_script_writes():
    committed = (ROOT / "etl" / "demo" / "examples_data" / "returns" / "portfolio.json").read_text(encoding="utf-8")
    assert committed == make_example_returns.render()


def test_example_returns_cover_the_due_projects_outside_cpca_001_to_012():
    scripted = json.loads((ROOT / "etl" / "demo" / "examples_data" / "returns" / "portfolio.json").read_text(encoding="utf-8"))
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    missing_in_september = []
    for period in ("2023-07", "2023-08", "2023-09"):
        due = set(due_projects(portfolio, Period.parse(period)).index) - {f"CPCA-{n:03d}" for n in range(1, 13)}
        month = scripted[period]
        assert set(month) <= due
        assert not {f"CPCA-{n:03d}" for n in range(1, 13)} & set(month)
        if period == "2023-09":
            missing_in_september = sorted(due - set(month))
        else:
            assert set(month) == due
    assert len(missing_in_september) >= 2
    late = [(p, pid) for p, month in scripted.items() for pid, r in month.items()
            if dt.date.fromisoformat(r["received"]) > due_projects(portfolio, Period.parse(p))["due_date"].iloc[0]]
    assert len(late) >= 3
    rags = {r["values"]["rag_this_period"] for month in scripted.values() for r in month.values()}
    assert {"Green", "Green/Amber", "Amber", "Amber/Red", "Red", "Purple"} <= rags
    assert {"A/G", "amber", "Green / Amber"} <= rags  # typed messily, valid once normalised


def test_example_returns_dates_are_not_after_the_demo_day():
    from etl.demo.runner import DEMO_TODAY

    for month in load_example_returns(BUNDLED_EXAMPLES / "returns").values():
        for example in month.values():
            assert example.received is None or example.received <= DEMO_TODAY
            completed = example.answers.values.get("completed_date")
            if isinstance(completed, dt.date):
                assert completed <= example.received


def test_edited_returns_open_in_libreoffice(tmp_path, portfolio):
    """The XML edits make files a real client reads: rows inserted, the RAG moved, a formula."""
    from helpers_libreoffice import convert_to_pdf, pdf_text
    from helpers_returns import formula_in

    ctx = context_for(portfolio, "CPCA-020")
    answers = good_answers(ctx.report_type, rag="Amber/Red")
    path = fill_return(tmp_path, ctx, Answers({**answers.values, "budget_approved": 1_200_000}, answers.tables),
                       dt.date(2023, 10, 2))
    rag_row = int(name_cell(path, "rag_this_period")[1:])
    insert_rows(path, rag_row - 1, 2, "Inserted by the partner")
    move_cell(path, "rag_this_period")
    formula_in(path, "budget_approved", "1000000+200000")
    text = pdf_text(convert_to_pdf(path, tmp_path / "pdf"))
    assert "Inserted by the partner" in text
    assert "£1,200,000" in text and "Detailed design approved" in text
    wb = openpyxl.load_workbook(path)
    assert wb[F.SHEET][name_cell(path, "budget_approved")].value == "=1000000+200000"
    assert wb[F.SHEET][name_cell(path, "rag_this_period")].value == "Amber/Red"
