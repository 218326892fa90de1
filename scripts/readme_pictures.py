"""Make the README's picture of the Single Project Register from the demo's output.

    .venv/bin/python scripts/readme_pictures.py

Runs `pmo demo` into a scratch folder, converts the register for the demo's month with
LibreOffice Calc (headless) to PDF and its first page (the Summary) with pdftoppm to
`docs/register.png`. Needs LibreOffice Calc and poppler-utils, as the LibreOffice tests do.
Re-run it whenever the register's layout or the demo's data changes, and commit the PNG.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from etl.demo.runner import DEMO_PERIOD, run_demo  # noqa: E402
from etl.cycle.register import register_path  # noqa: E402
from helpers_libreoffice import convert_to_pdf, render_png  # noqa: E402

TARGET = ROOT / "docs" / "register.png"
DPI = 80


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pmo-pictures-") as tmp:
        outputs = Path(tmp) / "outputs"
        run_demo(outputs_dir=outputs)
        pdf = convert_to_pdf(register_path(outputs, DEMO_PERIOD), Path(tmp) / "pdf")
        pages = render_png(pdf, Path(tmp) / "pdf" / "register", dpi=DPI)
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pages[0], TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)} (page 1 of {len(pages)}, {TARGET.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
