"""The programme highlight report and the close-down tracker open in LibreOffice Calc and print whole."""

import datetime as dt

from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT, office_for
from etl.rules.periods import Period
from helpers_libreoffice import convert_to_pdf, pdf_pages, pdf_text
from test_highlight import OVERVIEW, PROGRAMME, fill_store


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_highlight_report_converts_and_prints_the_long_text(tmp_path):
    db = fill_store(tmp_path / "pmo.db", tmp_path / "files", skip=(("2023-08", "CPCA-009"),))
    path, _ = office_for(tmp_path / "out", db, EXAMPLE_PORTFOLIO_XLSX).highlight(PROGRAMME, Period(2023, 8), OVERVIEW)
    pdf = convert_to_pdf(path, tmp_path / "pdf")
    text = _squash(pdf_text(pdf))
    assert "Individual Workstream Status" in text and "RAG Rating Methodology" in text
    assert "Overall programme RAG (suggested)" in text
    assert "Missing: no accepted return for August 2023" in text
    # The last words of long, wrapped blocks are laid out (row heights, which keep them from
    # being clipped, are checked in test_highlight: pdftotext also finds clipped text).
    assert "when I next report to Board." in text
    assert "the need for this to ebnsure Government clearance." in text  # CPCA-010's PM update, as typed
    assert "the partnerships will become ineffective." in text  # a long risk, wrapped in its cell
    assert "Page 1 of" in text and "Period 2023-08" in text
    assert 8 <= pdf_pages(pdf) <= 20


def test_closedown_tracker_converts(tmp_path):
    path, _ = office_for(tmp_path).closedown(ROOT / "inputs" / "closedown.xlsx", dt.date(2023, 10, 20))
    pdf = convert_to_pdf(path, tmp_path / "pdf")
    text = _squash(pdf_text(pdf))
    assert "Improvement Plan – close down of activity" in text
    assert "Completed and future review in Directorate plans" in text
    assert "Close-down summary: actions per theme and destination" in text
    assert "Migrate Grants Register to portal" in text  # the end of the longest Activity Outstanding cell
    assert 2 <= pdf_pages(pdf) <= 8
