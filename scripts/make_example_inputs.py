"""Build the example workbooks in `inputs/` from their plain-text sources (package data in
`etl/demo/examples_data/`).

The workbooks are what an officer would keep; the CSV sources are what we review in git.
Run it after changing a source: `python scripts/make_example_inputs.py`. A test checks
that the committed workbooks still hold exactly what their sources say.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.demo.examples import write_example_inputs  # noqa: E402


def main() -> None:
    for target in write_example_inputs(ROOT / "inputs"):
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
