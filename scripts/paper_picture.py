"""Make the README's pictures of the corporate performance report's committee paper.

    .venv/bin/python scripts/paper_picture.py

Runs `pmo demo` into a scratch folder, converts the demo month's committee paper
(`corporate_performance_report_2023-09.docx`) with LibreOffice Writer (headless) to PDF,
and its first two pages with pdftoppm to `docs/committee_paper.png` (cover, purpose,
summary) and `docs/committee_paper_scorecard.png` (the scorecard table). Needs LibreOffice
Writer and poppler-utils, as the LibreOffice tests do. Re-run it whenever the paper's
layout or the demo's data changes, and commit the PNGs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from etl.cycle.scorecard import PAPER_NAME  # noqa: E402
from etl.demo.runner import DEMO_PERIOD, run_demo  # noqa: E402
from helpers_libreoffice import convert_to_pdf, render_png  # noqa: E402

TARGETS = (ROOT / "docs" / "committee_paper.png", ROOT / "docs" / "committee_paper_scorecard.png")
DPI = 80


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pmo-pictures-") as tmp:
        outputs = Path(tmp) / "outputs"
        run_demo(outputs_dir=outputs)
        paper = outputs / str(DEMO_PERIOD) / PAPER_NAME.format(period=DEMO_PERIOD)
        pdf = convert_to_pdf(paper, Path(tmp) / "pdf")
        pages = render_png(pdf, Path(tmp) / "pdf" / "paper", dpi=DPI)
        for page, target in zip(pages, TARGETS):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(page, target)
            print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")
    print(f"the paper has {len(pages)} pages")


if __name__ == "__main__":
    main()
