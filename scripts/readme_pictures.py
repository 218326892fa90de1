"""Make the README's pictures of the Single Project Register from the demo's output.

    .venv/bin/python scripts/readme_pictures.py

Runs `pmo demo` into a scratch folder, converts the register for the demo's month with
LibreOffice Calc (headless) to PDF, and with pdftoppm writes its first page (the Summary) to
`docs/register.png` and the first printed page of the Register sheet (A3 landscape: the
columns CMT reads, the rest on the following pages) to `docs/register_print.png`. Needs
LibreOffice Calc and poppler-utils, as the LibreOffice tests do. Re-run it whenever the
register's layout or the demo's data changes, and commit the PNGs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from etl.demo.runner import DEMO_PERIOD, run_demo  # noqa: E402
from etl.cycle.register import register_path  # noqa: E402
from helpers_libreoffice import convert_to_pdf, pdf_text, render_png  # noqa: E402

TARGET = ROOT / "docs" / "register.png"
PRINTED = ROOT / "docs" / "register_print.png"
DPI = 80
PRINT_DPI = 75  # an A3 page: the picture shows the whole sheet of paper


def register_sheet_page(pdf: Path) -> int:
    """The 1-based page where the Register sheet starts: the first with its column headings."""
    pages = pdf_text(pdf).split("\f")
    return next(i for i, text in enumerate(pages, start=1) if "Return Status" in text and "Project Name" in text)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pmo-pictures-") as tmp:
        outputs = Path(tmp) / "outputs"
        run_demo(outputs_dir=outputs)
        pdf = convert_to_pdf(register_path(outputs, DEMO_PERIOD), Path(tmp) / "pdf")
        pages = render_png(pdf, Path(tmp) / "pdf" / "register", dpi=DPI)
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pages[0], TARGET)
        first = register_sheet_page(pdf)
        printed = Path(tmp) / "pdf" / "printed"
        subprocess.run(["pdftoppm", "-r", str(PRINT_DPI), "-f", str(first), "-l", str(first), "-png", str(pdf),
                        str(printed)], check=True)
        shutil.copyfile(next(printed.parent.glob("printed*.png")), PRINTED)
    print(f"wrote {TARGET.relative_to(ROOT)} (page 1 of {len(pages)}, {TARGET.stat().st_size // 1024} KB)")
    print(f"wrote {PRINTED.relative_to(ROOT)} (page {first}, {PRINTED.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
