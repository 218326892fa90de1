"""A generated template opens in a real spreadsheet client (LibreOffice Calc) and prints sensibly."""

from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.office import Office
from etl.config import Settings
from etl.rules.periods import Period
from helpers_libreoffice import convert_to_pdf, pdf_pages, pdf_text


def test_full_and_simplified_templates_convert_in_libreoffice(tmp_path):
    office = Office(outputs=tmp_path / "out", db=tmp_path / "pmo.db", portfolio_path=EXAMPLE_PORTFOLIO_XLSX,
                    settings=Settings())
    written = office.templates(Period(2024, 9)).written
    full = next(w for w in written if w.report_type == "Full")
    simple = next(w for w in written if w.report_type == "Simplified")
    for info in (full, simple):
        pdf = convert_to_pdf(tmp_path / "out" / "2024-09" / info.file, tmp_path / "pdf")
        text = pdf_text(pdf)
        assert f"Highlight Report — {info.project_name}" in text
        assert "Key risks and mitigation" in text and "How to complete your highlight report" in text
        assert "_meta" not in text and "template_version" not in text  # the very hidden sheet is not printed
        assert ("Number 1 risk" in text) is (info.report_type == "Full")
        assert 2 <= pdf_pages(pdf) <= 5
