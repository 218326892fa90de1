"""Open workbooks and Word papers in a real office suite: LibreOffice Calc or Writer,
headless, converting to PDF.

Each conversion uses a fresh LibreOffice profile so parallel runs do not collide. When
LibreOffice or poppler is missing the calling test is skipped locally; in CI (`CI` set, or
PMO_REQUIRE_LIBREOFFICE=1) the skip becomes a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def require_libreoffice() -> str:
    """The soffice executable, or skip (fail in CI) when it or pdftotext is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice and shutil.which("pdftotext") and shutil.which("pdftoppm"):
        return soffice
    message = "LibreOffice (Calc, Writer) and poppler-utils are needed to check workbooks and papers in a real client"
    if os.environ.get("PMO_REQUIRE_LIBREOFFICE") or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def convert_to_pdf(workbook: Path, outdir: Path, timeout: int = 180) -> Path:
    """Convert with `soffice --headless --convert-to pdf`; the PDF path, or fail with its output."""
    soffice = require_libreoffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(outdir), str(workbook)],
            capture_output=True, text=True, timeout=timeout,
        )
    pdf = outdir / (workbook.stem + ".pdf")
    assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 0, (
        f"LibreOffice could not convert {workbook.name}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return pdf


def pdf_text(pdf: Path, layout: bool = True) -> str:
    """The text LibreOffice laid out, page by page (pdftotext keeps the layout; without it,
    each table cell's text comes whole, in reading order, which suits wrapped cells)."""
    command = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def render_png(pdf: Path, prefix: Path, dpi: int = 70) -> list[Path]:
    """PNG pictures of the pages (for looking at, and for the README's screenshots)."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "*.png"))
