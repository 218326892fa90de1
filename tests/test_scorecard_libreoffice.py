"""The corporate performance report opens in LibreOffice Calc (headless) and prints every sheet."""

from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio
from etl.config import Settings
from etl.office import Office
from etl.store.db import Store
from helpers_libreoffice import convert_to_pdf, pdf_pages, pdf_text
from helpers_scorecard import EXAMPLE_KPIS_XLSX, kpi_rows, store_example_returns, write_kpi_csv


def test_report_with_history_and_returns_converts_in_libreoffice(tmp_path):
    db = tmp_path / "pmo.db"
    june = kpi_rows()
    for row in june:
        row["Current Period Performance"], row["Previous Period Performance"] = row["Previous Period Performance"], ""
    office = Office(outputs=tmp_path, db=db, portfolio_path=EXAMPLE_PORTFOLIO_XLSX, settings=Settings())
    office.scorecard(Period(2023, 6), write_kpi_csv(june, tmp_path / "june.csv"))
    with Store(db) as store:
        store_example_returns(store, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), tmp_path / "returns",
                              projects=("CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004", "CPCA-005", "CPCA-006"))
    report = office.scorecard(Period(2023, 9), EXAMPLE_KPIS_XLSX).path

    pdf = convert_to_pdf(report, tmp_path / "pdf")
    text = pdf_text(pdf)
    for expected in (
        "Balanced Scorecard of Corporate Key Performance Indicators", "Red KPIs: exception report",
        "Skills and Employment Committee: Thematic Performance Report", "Business Board: Thematic",
        "Most Complex Programmes and Projects", "Peterborough Station Quarter", "No return received",
        "RAG rating compared to Target", "Period September 2023",
    ):
        assert expected in " ".join(text.split()), expected
    assert "Metric" in text and "2023-06" not in text  # the hidden trend data sheet is not printed
    assert 8 <= pdf_pages(pdf) <= 14
