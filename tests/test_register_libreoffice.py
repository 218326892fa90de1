"""The register opens in a real spreadsheet client (LibreOffice Calc) and prints every sheet."""

from etl.config import Settings
from etl.office import Office
import re
import subprocess

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
    # Summary (two pages), the Register three pages across (A3), one page for each other list.
    assert pdf_pages(pdf) == 8
    pages = text.split("\f")
    first = next(i for i, page in enumerate(pages) if "Return Status" in page and "Compared" in page)
    # Page 1 of the Register: what CMT reads, side by side; the narrative comes two pages on.
    assert all(h in pages[first] for h in ("Project Name", "RAG (this", "RAG (previous)", "Escalate", "Slippage"))
    assert "PM Update" not in pages[first] and "PM Update" in pages[first + 2]
    assert "Green (2024-08)" in pages[first]  # R-01's previous RAG, with its period
    assert page_size(pdf, first + 1) == (1191, 842)  # A3 landscape, in points
    assert page_size(pdf, 1) == (842, 595)  # the Summary stays A4


def page_size(pdf, page: int) -> tuple[int, int]:
    """A page's width and height in points, as pdfinfo reports it."""
    out = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    width, height = re.search(rf"Page\s+{page} size:\s+([\d.]+) x ([\d.]+)", out).groups()
    return round(float(width)), round(float(height))
