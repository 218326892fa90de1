"""The programme highlight report: seed 000's August 2023 report rebuilt from the example returns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT, example_rows, office_for, write_rows_csv
from etl.demo.examples import load_example_returns
from etl.cycle.highlight import (
    COVER_SHEET, MISSING, THEME_RAG_DEFINITIONS, programme_slug, read_overview,
)
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio
from etl.store.db import Store
from etl.cycle.templates import Answers
from etl.workbooks.formats import LINE_HEIGHT, RAG_COLOURS
from helpers_store import store_return

PROGRAMME = "Improvement Plan Phase 2"
AUGUST = Period(2023, 8)
EXAMPLES = ROOT / "etl" / "demo" / "examples_data" / "returns"
OVERVIEW = ROOT / "etl" / "demo" / "examples_data" / "improvement_plan_overview.md"

# Seed 000's Individual Workstream Status table (August 2023), as published.
PUBLISHED = {
    "Governance and Decision Making": ("Green", "Green"),
    "Procurement": ("Green", "Green"),
    "Project, Planning and Delivery": ("Green/Amber", "Green/Amber"),
    "Partnership Working": ("Green/Amber", "Amber"),
    "Confidence, Culture and Capacity": ("Green", "Green/Amber"),
}


def fill_store(db: Path, folder: Path, portfolio_path: Path = EXAMPLE_PORTFOLIO_XLSX,
               skip: tuple[tuple[str, str], ...] = ()) -> Path:
    """Store the example returns as accepted, as if each partner's return had been ingested
    (`skip`: (period, project) pairs whose return never arrived)."""
    portfolio = load_portfolio(portfolio_path)
    with Store(db) as store:
        for period, projects in load_example_returns(EXAMPLES).items():
            for project_id, example in projects.items():
                if (period, project_id) not in skip:
                    store_return(store, portfolio, project_id, period, example.answers, folder, example.received)
    return db


def cover_cells(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[COVER_SHEET]
    return [tuple(c.value for c in row) for row in ws.iter_rows(max_col=4)]


def status_table(path: Path) -> dict[str, tuple[str, str, str | None]]:
    """Workstream → (this period, last period, direction) from the cover sheet's table."""
    rows = cover_cells(path)
    start = next(i for i, r in enumerate(rows) if r[0] == "Individual Workstream Status")
    assert rows[start + 1] == ("Workstream", "This period", "Last period", "Direction of travel")
    table = {}
    for row in rows[start + 2:]:
        if not row[0] or row[1] is None:
            break
        table[row[0]] = row[1:4]
    return table


def overall_row(path: Path) -> tuple:
    return next(r for r in cover_cells(path) if str(r[0]).startswith("Overall programme RAG"))


@pytest.fixture(scope="module")
def august(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("august")
    db = fill_store(folder / "pmo.db", folder / "files")
    path, _ = office_for(folder / "out", db, EXAMPLE_PORTFOLIO_XLSX).highlight(PROGRAMME, AUGUST, OVERVIEW)
    return path


def test_august_2023_reproduces_the_published_status_table_and_overall_rag(august):
    assert august.name == "highlight_improvement-plan-phase-2_2023-08.xlsx"
    assert august.parent.name == "2023-08"
    table = status_table(august)
    assert {name: row[:2] for name, row in table.items()} == PUBLISHED
    assert table["Partnership Working"][2] == "↑" and table["Procurement"][2] == "→"
    label, value, note, _ = overall_row(august)
    assert label == "Overall programme RAG (suggested)" and value == "Green"
    assert note.startswith("Suggested: the median of the workstreams' ratings this period")


def test_status_cells_are_coloured_by_conditional_formats(august):
    ws = openpyxl.load_workbook(august)[COVER_SHEET]
    rows = [r[0].row for r in ws.iter_rows(max_col=1) if r[0].value in PUBLISHED]
    ranges = {}
    for cf_range in ws.conditional_formatting:
        for rule in cf_range.rules:
            ranges.setdefault(str(cf_range.sqref), {})[rule.formula[0].strip('"')] = rule.dxf.fill.bgColor.rgb
    table_range = f"B{min(rows)}:C{max(rows)}"
    assert table_range in ranges
    colours = ranges[table_range]
    for rating, (fill, _) in RAG_COLOURS.items():
        if rating != "Blue":
            assert colours[rating].endswith(fill.lstrip("#"))
    assert MISSING in colours


def test_cover_has_overview_and_methodology(august):
    text = "\n".join(str(v) for row in cover_cells(august) for v in row if v)
    assert "I am pleased to present the highlight report for the Improvement Plan" in text
    assert "Programme Level Highlight Report for the Period: 1 July 2023 - 31 August 2023" in text
    for rating, definition in THEME_RAG_DEFINITIONS.items():
        assert definition in text
    assert "Successful delivery of the improvement theme to time, cost and quality appears to be highly likely" in text


def test_workstream_sheet_is_laid_out_like_the_seed(august):
    book = openpyxl.load_workbook(august)
    assert book.sheetnames[0] == COVER_SHEET and len(book.sheetnames) == 6
    ws = book["Partnership Working"]
    cells = [[c.value for c in row] for row in ws.iter_rows(max_col=5)]
    flat = [v for row in cells for v in row if v is not None]
    pairs = {row[0]: row[2] for row in cells if row[0] and row[2] is not None}
    assert pairs["Workstream Sponsor"] == "Richard Kenny"
    assert pairs["Project Manager/s"] == "Pete Tonks"
    assert pairs["PMO (Programme Management Office) Support"] == "Heidi Robinson"
    assert pairs["Agreed Completion Date"] == dt.datetime(2024, 3, 31)
    assert pairs["Forecast Completion Date"] == dt.datetime(2024, 3, 31)
    assert pairs["Reporting Period"] == "01/07/2023 - 31/08/2023"
    assert pairs["Project Status: This Period"] == "Green/Amber"
    assert pairs["Project Status: Previous Period"] == "Amber"
    assert pairs["Report Completed By"] == "Peter Tonks"
    assert pairs["Completion Date"] == dt.datetime(2023, 8, 25)
    for title in ("Project Description", "Project Outcomes", "Project Manager Update", "Workstream Sponsor Comments",
                  "Key Milestones this Period", "Key Milestones Planned for Next Period", "Project Risks"):
        assert title in flat
    assert "First draft Partnership Working Framework complete" in flat
    assert "Seek approval for Partnership Working Framework" in flat
    assert "Ensure the PWF is embedded in the Single Assurance Framework." in flat


def test_long_text_is_kept_whole_and_rows_are_tall_enough(august, tmp_path):
    """The 6,000-character PM update of seed 000 is split over rows that each show all their text."""
    pm_update = load_example_returns(EXAMPLES)["2023-08"]["CPCA-010"].answers.values["pm_update"]
    ws = openpyxl.load_workbook(august)["Project, Planning and Delivery"]
    rows = [r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == "Project Manager Update"]
    first = rows[0] + 1
    pieces = []
    row = first
    while ws.cell(row, 1).value:
        pieces.append(ws.cell(row, 1).value)
        height = ws.row_dimensions[row].height
        assert height and height <= 409
        # The text spans 100 column units; 10-point Arial fits about 1.25 characters a unit
        # (as LibreOffice lays it out): the row must hold every wrapped line at that rate.
        lines = sum(max(1, -(-len(p) // 124)) for p in ws.cell(row, 1).value.split("\n"))
        assert height >= lines * LINE_HEIGHT
        row += 1
    assert len(pieces) > 1
    assert " ".join(" ".join(p.split("\n")) for p in pieces).split() == pm_update.replace("\n", " ").split()


def test_lead_sets_the_overall_rag(tmp_path):
    db = fill_store(tmp_path / "pmo.db", tmp_path / "files")
    result = CliRunner().invoke(cli.main, [
        "highlight", "--programme", "improvement plan  phase 2", "--period", "2023-08", "--overall", "amber",
        "--db", str(db), "--inputs", str(EXAMPLE_PORTFOLIO_XLSX.parent), "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Overall programme RAG: Amber (set by the lead; median of the workstreams: Green)" in result.output
    path = tmp_path / "out" / "2023-08" / "highlight_improvement-plan-phase-2_2023-08.xlsx"
    label, value, note, _ = overall_row(path)
    assert label == "Overall programme RAG (set by the programme lead)" and value == "Amber"
    assert note.startswith("Set by the programme lead. Suggested: Green, the median of the workstreams' ratings")
    suggested = next(r for r in cover_cells(path) if r[0] == "Suggested (median of workstreams)")
    assert suggested[1] == "Green"


def test_bad_overall_rag_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli.main, [
        "highlight", "--programme", PROGRAMME, "--period", "2023-08", "--overall", "Purple",
        "--db", str(tmp_path / "none.db"), "--inputs", str(EXAMPLE_PORTFOLIO_XLSX.parent),
        "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--overall: 'Purple' is not a RAG rating" in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "none.db").exists()


def test_unknown_programme_lists_the_known_ones(tmp_path):
    result = CliRunner().invoke(cli.main, [
        "highlight", "--programme", "Improvement Plan Phase 9", "--period", "2023-08",
        "--db", str(tmp_path / "pmo.db"), "--inputs", str(EXAMPLE_PORTFOLIO_XLSX.parent),
        "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown programme 'Improvement Plan Phase 9'" in result.output
    assert "Bus Reform Programme, Housing Investment Programme, Improvement Plan Phase 2" in result.output


def test_missing_workstream_is_shown_not_dropped(tmp_path):
    """Confidence, Culture and Capacity's August return never arrived; July's did."""
    db = fill_store(tmp_path / "pmo.db", tmp_path / "files", skip=(("2023-08", "CPCA-012"),))
    path, report = office_for(tmp_path / "out", db, EXAMPLE_PORTFOLIO_XLSX).highlight(PROGRAMME, AUGUST)
    table = status_table(path)
    assert len(table) == 5
    # Last period comes from the July return in the store.
    assert table["Confidence, Culture and Capacity"] == (MISSING, "Green/Amber", None)
    # Four ratings left: Green, Green, Green/Amber, Green/Amber → the worse middle one.
    assert overall_row(path)[1] == "Green/Amber"
    text = "\n".join(str(v) for r in cover_cells(path) for v in r if v)
    assert "Missing: no accepted return for August 2023: Confidence, Culture and Capacity." in text
    ws = openpyxl.load_workbook(path)["Confidence, Culture and Capaci…"]
    values = [c.value for row in ws.iter_rows(max_col=5) for c in row if c.value]
    assert any(str(v).startswith("Missing: no accepted return for August 2023") for v in values)
    assert "Kate McFarlane" in values and MISSING in values
    assert "No overview was supplied for this report." in text


def test_workstream_not_due_is_not_called_missing(tmp_path):
    """Two-monthly workstreams owe no return for July; four sent one anyway, one did not."""
    db = fill_store(tmp_path / "pmo.db", tmp_path / "files", skip=(("2023-07", "CPCA-012"),))
    path, report = office_for(tmp_path / "out", db, EXAMPLE_PORTFOLIO_XLSX).highlight(PROGRAMME, Period(2023, 7))
    table = status_table(path)
    assert table["Confidence, Culture and Capacity"] == ("Not due", "Not known", None)
    assert table["Partnership Working"][0] == "Amber"
    text = "\n".join(str(v) for r in cover_cells(path) for v in r if v)
    assert "Not due: not due to report for July 2023: Confidence, Culture and Capacity." in text


def test_demo_builds_the_programme_report_and_the_tracker(tmp_path):
    from etl.demo.runner import DEMO_TODAY, run_demo

    ctx = run_demo(tmp_path / "out")
    report = tmp_path / "out" / "2023-08" / "highlight_improvement-plan-phase-2_2023-08.xlsx"
    tracker = tmp_path / "out" / f"closedown_{DEMO_TODAY.isoformat()}.xlsx"
    assert report in ctx.files and tracker in ctx.files
    table = status_table(report)
    assert set(table) == set(PUBLISHED)
    # Whatever the demo store holds: each workstream shows its rating or Missing.
    assert all(row[0] in (MISSING, "Green", "Green/Amber", "Amber", "Amber/Red", "Red") for row in table.values())
    text = "\n".join(str(v) for r in cover_cells(report) for v in r if v)
    assert "I am pleased to present the highlight report" in text


def test_no_store_shows_every_workstream_missing(tmp_path):
    path, report = office_for(tmp_path, tmp_path / "absent.db", EXAMPLE_PORTFOLIO_XLSX).highlight(PROGRAMME, AUGUST)
    assert {row[0] for row in status_table(path).values()} == {MISSING}
    assert overall_row(path)[1] == "No returns"
    assert not (tmp_path / "absent.db").exists()


def test_programme_with_one_workstream(tmp_path):
    rows = example_rows()
    solo = next(r for r in rows if r["Project ID"] == "CPCA-011")
    solo["Programme"] = "Partnership Programme"
    portfolio_csv = write_rows_csv(rows, tmp_path / "portfolio.csv")
    portfolio = load_portfolio(portfolio_csv)
    answers = Answers(values={"rag_this_period": "A/R", "rag_previous": "amber", "pm_update": "=SUM(A1:A3) typed by hand",
                              "completed_by": "Pete Tonks", "completed_date": dt.date(2023, 9, 1)})
    with Store(tmp_path / "pmo.db") as store:
        store_return(store, portfolio, "CPCA-011", AUGUST, answers, tmp_path / "files")
    path, report = office_for(tmp_path / "out", tmp_path / "pmo.db", portfolio_csv).highlight("Partnership Programme", AUGUST)
    assert path.name == f"highlight_{programme_slug('Partnership Programme')}_2023-08.xlsx"
    assert status_table(path) == {"Partnership Working": ("Amber/Red", "Amber", "↓")}
    assert overall_row(path)[1] == "Amber/Red"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [COVER_SHEET, "Partnership Working"]
    ws = book["Partnership Working"]
    cell = next(c for row in ws.iter_rows(max_col=1) for c in row if str(c.value).startswith("=SUM"))
    assert cell.data_type == "s"  # text as typed, never a formula


def test_overview_from_markdown(tmp_path):
    source = tmp_path / "overview.md"
    source.write_text("# Overview\n\nFirst line\nsame paragraph with **bold**.\n\n- a bullet\n* another\n", encoding="utf-8")
    assert read_overview(source) == "Overview\nFirst line same paragraph with bold.\n• a bullet\n• another"
    assert read_overview(OVERVIEW).startswith("I am pleased to present the highlight report")


def test_overview_file_not_found_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli.main, [
        "highlight", "--programme", PROGRAMME, "--period", "2023-08", "--overview", str(tmp_path / "nope.md"),
        "--db", str(tmp_path / "pmo.db"), "--inputs", str(EXAMPLE_PORTFOLIO_XLSX.parent),
        "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2 and "nope.md: overview file not found" in result.output


def test_every_sheet_prints_on_a4_with_a_footer(august):
    for ws in openpyxl.load_workbook(august).worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
        # Fit to one page wide (xlsxwriter leaves out fitToWidth=1, the default), any number tall.
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert "&F" in ws.oddFooter.left.text and "Period 2023-08" in ws.oddFooter.center.text
