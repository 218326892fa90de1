"""The committee paper (.docx): what a member reads, checked in the Word file itself and as
LibreOffice Writer lays it out (headless conversion to PDF, then the text of the pages)."""

import datetime as dt

import pytest
from docx import Document

from conftest import EXAMPLE_PORTFOLIO_XLSX, office_for
from etl.config import Settings
from etl.cycle.portfolio import load_portfolio
from etl.cycle.scorecard import PaperDetails
from etl.rules.periods import Period
from etl.store.db import Store
from etl.workbooks.formats import RAG_COLOURS
from helpers_libreoffice import convert_to_pdf, pdf_pages, pdf_text
from helpers_scorecard import EXAMPLE_KPIS_XLSX, kpi_rows, store_example_returns, write_kpi_csv

pytestmark = pytest.mark.filterwarnings("ignore:Sparkline Group extension:UserWarning")

SEPTEMBER = Period(2023, 9)
PLAN_XLSX = EXAMPLE_KPIS_XLSX.parent / "corporate_plan.xlsx"
DETAILS = PaperDetails("Combined Authority Board", dt.date(2023, 11, 29), "Jane Doe, Head of Policy and Performance")


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """September 2023 with the example returns, corporate plan and a Red KPI without actions."""
    tmp = tmp_path_factory.mktemp("paper")
    with Store(tmp / "pmo.db") as store:
        store_example_returns(store, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), tmp / "returns",
                              projects=("CPCA-001", "CPCA-002", "CPCA-003", "CPCA-005", "CPCA-006"))
    rows = kpi_rows()
    rows[1]["Planned Actions"] = rows[1]["Action Owner"] = rows[1]["Action Due"] = ""  # Metric 2, Red
    office = office_for(tmp / "out", tmp / "pmo.db", settings=Settings())
    run = office.scorecard(SEPTEMBER, write_kpi_csv(rows, tmp / "kpis.csv"), PLAN_XLSX, PLAN_XLSX, DETAILS)
    return run, tmp


def cell_fill(cell):
    shading = cell._tc.tcPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd")
    return None if shading is None else shading.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fill")


def test_paper_is_written_beside_the_workbook(paper):
    run, _ = paper
    assert run.paper_path.name == "corporate_performance_report_2023-09.docx"
    assert run.paper_path.parent == run.path.parent


def test_rag_cells_are_coloured_and_say_their_rating_in_words(paper):
    run, _ = paper
    doc = Document(run.paper_path)
    scorecard = next(t for t in doc.tables if t.rows[0].cells[0].text == "Metric" and len(t.columns) == 9)
    by_metric = {r.cells[0].text: r for r in scorecard.rows[1:]}
    jobs = by_metric["Metric 2: Total jobs in Cambridgeshire and Peterborough (↑)"]
    assert jobs.cells[6].text == "Red" and cell_fill(jobs.cells[6]) == RAG_COLOURS["Red"][0][1:]
    assert jobs.cells[7].text == "No target"
    green = next(r for r in scorecard.rows[1:] if r.cells[6].text == "Green")
    assert cell_fill(green.cells[6]) == RAG_COLOURS["Green"][0][1:]
    rated = [r.cells[6].text for r in scorecard.rows[1:] if r.cells[0].text != r.cells[6].text]  # not a heading
    assert len(rated) == 27 and rated.count("Red") == 10


def test_paper_sections_read_as_a_committee_report_in_libreoffice_writer(paper):
    run, tmp = paper
    pdf = convert_to_pdf(run.paper_path, tmp / "pdf")
    # Rows of a table read across (layout); a wrapped cell reads whole (reading order).
    laid, flowing = (" ".join(pdf_text(pdf, layout=layout).split()) for layout in (True, False))
    for expected in (
        "Corporate Performance Report: September 2023",
        "Meeting Combined Authority Board", "Date 29 November 2023", "Report by Jane Doe, Head of Policy and Performance",
        "1. Purpose", "2. Summary", "Red KPIs without planned actions 1",
        "1 Red KPI(s) have no planned actions: Metric 2: Total jobs in Cambridgeshire and Peterborough",
        "3. Balanced Scorecard", "England: 12.0% (gap -1.5 pts, Worse)", "New data",
        "4. Red KPIs: exceptions and planned actions", "Business Board",
        "No planned actions given: to be provided by the KPI owner",
        "Owner: Director of Place and Connectivity",
        "5. Most Complex Programmes and Projects", "Peterborough Station Quarter", "No return received",
        "Member request: Cllr B. Jones",
        "6. Priority Activities", "Overdue (due before 30/09/2023): 1", "Complete the bus franchising assessment",
        "OVERDUE", "Place and Connectivity",
        "7. Original Devolution Deal: Investment Fund Gateway Review", "Covid Micro Grants", "Mid-term Report to DLUHC",
        "RAG key", "Current performance is off target by more than 10%",
    ):
        assert expected in laid or expected in flowing, expected
    assert 4 <= pdf_pages(pdf) <= 12
