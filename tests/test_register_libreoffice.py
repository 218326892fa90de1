"""The register opens in a real spreadsheet client (LibreOffice Calc) and prints every sheet."""

from etl.config import Settings
from etl.office import Office
from helpers_libreoffice import convert_to_pdf, pdf_pages, pdf_text
from helpers_register import AS_OF, FORMULA_LIKE, PERIOD, build_case


def test_register_converts_in_libreoffice(tmp_path):
    portfolio, db = build_case(tmp_path / "case")
    path, _ = Office(outputs=tmp_path / "out", db=db, portfolio_path=portfolio, settings=Settings()).register(PERIOD, AS_OF)
    pdf = convert_to_pdf(path, tmp_path / "pdf")
    text = pdf_text(pdf)
    assert "Single Project Register: September 2024" in text
    assert "RAG by directorate" in text and "RAG over the last twelve periods" in text
    for update in FORMULA_LIKE.values():  # typed text, shown as typed (not #NAME? or a number)
        assert update[:20] in text
    assert "#NAME?" not in text and "Err:" not in text
    assert "Period 2024-09" in text and "single_project_register_2024-09.xlsx" in text  # the footer
    assert "1 file was rejected and not yet" in text and "Forecast slipped" in text
    # Summary (two pages) and one page for each list: no list spills onto a second page across.
    assert pdf_pages(pdf) == 6
