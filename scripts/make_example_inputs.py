"""Build the bundled example workbooks in `inputs/` from their plain-text sources in `examples/`.

The workbooks are what an officer would keep; the CSV sources are what we review in git.
Run it after changing a source: `python scripts/make_example_inputs.py`. A test checks
that the committed workbooks still hold exactly what their sources say.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.cycle.closedown import write_actions  # noqa: E402
from etl.cycle.portfolio import write_portfolio  # noqa: E402
from etl.cycle.scorecard import write_kpis  # noqa: E402

# A fixed creation time keeps the bytes the same from run to run.
FIXED_TIME = dt.datetime(2023, 9, 1, 9, 0, 0)


def text_records(source: Path) -> list[dict[str, object]]:
    """A source's rows as text, blank cells as None (the close-down actions of seed 002; the
    KPIs, whose figures such as `62.60%` become numbers when written)."""
    with open(source, encoding="utf-8", newline="") as handle:
        return [{h: (v or None) for h, v in row.items()} for row in csv.DictReader(handle)]


#: Portfolio columns an officer's workbook holds as numbers and dates, not text.
_PORTFOLIO_TYPES = {
    "Delivery Cost (£)": float,
    "Latitude": float,
    "Longitude": float,
    "Agreed Completion Date": dt.date.fromisoformat,
}


def portfolio_records(source: Path) -> list[dict[str, object]]:
    """The example portfolio's rows, typed as an officer's workbook would hold them."""
    return [{h: (_PORTFOLIO_TYPES[h](v) if h in _PORTFOLIO_TYPES and v is not None else v) for h, v in row.items()}
            for row in text_records(source)]


def main() -> None:
    target = ROOT / "inputs" / "portfolio.xlsx"
    write_portfolio(portfolio_records(ROOT / "etl" / "demo" / "examples_data" / "portfolio.csv"), target, created=FIXED_TIME)
    print(f"wrote {target.relative_to(ROOT)}")
    target = ROOT / "inputs" / "closedown.xlsx"
    write_actions(text_records(ROOT / "etl" / "demo" / "examples_data" / "closedown.csv"), target, created=FIXED_TIME)
    print(f"wrote {target.relative_to(ROOT)}")
    target = ROOT / "inputs" / "kpis.xlsx"
    write_kpis(text_records(ROOT / "etl" / "demo" / "examples_data" / "kpis.csv"), target, created=FIXED_TIME)
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
