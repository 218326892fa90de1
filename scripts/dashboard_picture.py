"""Make the README's picture of the public dashboard from the demo's output.

    .venv/bin/python scripts/dashboard_picture.py

Runs `pmo demo` into a scratch folder, opens the demo month's dashboard in headless
Chromium (as the browser tests do) and saves the overview and the map to
`docs/dashboard.png`. Re-run it whenever the dashboard's layout or the demo's data changes,
and commit the PNG.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from etl.cycle.dashboard import dashboard_folder  # noqa: E402
from etl.demo.runner import DEMO_PERIOD, run_demo  # noqa: E402
from helpers_browser import chromium  # noqa: E402

TARGET = ROOT / "docs" / "dashboard.png"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pmo-pictures-") as tmp:
        outputs = Path(tmp) / "outputs"
        run_demo(outputs_dir=outputs)
        index = dashboard_folder(outputs, DEMO_PERIOD) / "index.html"
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1200, "height": 800}, device_scale_factor=1)
            page.goto(index.as_uri())
            page.wait_for_function("window.pmoTimings && window.pmoTimings.ready")
            bottom = page.locator(".map-area").bounding_box()
            TARGET.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(TARGET), full_page=True,
                            clip={"x": 0, "y": 0, "width": 1200, "height": bottom["y"] + bottom["height"] + 16})
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
