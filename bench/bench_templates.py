"""Benchmark: templates for a 1,000-project portfolio (target: under 20 s on a 2-core machine).

    .venv/bin/python bench/bench_templates.py [--projects 1000] [--rounds 3]

Builds a portfolio workbook of N projects from the bundled examples (IDs made unique, every
project due in December, when all three frequencies report), then times the whole
`pmo templates` work: loading and validating the portfolio, planning, and writing every
template and the distribution list. Prints the median of the rounds and the peak memory.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.config import Settings  # noqa: E402
from etl.rules.periods import Period  # noqa: E402
from etl.office import Office  # noqa: E402
from etl.demo.examples import portfolio_records  # noqa: E402
from etl.workbooks.inputs import write_portfolio  # noqa: E402
from measure import machine, peak_rss_mb  # noqa: E402

PERIOD = Period(2024, 12)


def build_portfolio(n: int, path: Path) -> Path:
    base = [r for r in portfolio_records(ROOT / "etl" / "demo" / "examples_data" / "portfolio.csv") if r["Stage"] in ("Delivery", "Concept", "Business Case")]
    records = []
    for i in range(n):
        record = dict(base[i % len(base)])
        record["Project ID"] = f"BENCH-{i + 1:05d}"
        record["Project Name"] = f"{record['Project Name']} ({i + 1})"
        records.append(record)
    return write_portfolio(records, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio = build_portfolio(args.projects, tmp_path / "portfolio.xlsx")
        timings, counts = [], 0
        for round_number in range(args.rounds):
            out = tmp_path / f"out{round_number}"
            start = time.perf_counter()
            done = Office(outputs=out, db=tmp_path / "none.db", portfolio_path=portfolio, settings=Settings()).templates(PERIOD)
            written, distribution = done.written, done.distribution
            timings.append(time.perf_counter() - start)
            counts = len(written)
            with open(distribution, encoding="utf-8-sig") as handle:
                assert sum(1 for _ in csv.reader(handle)) == counts + 1
        size = sum(p.stat().st_size for p in (out / str(PERIOD) / "templates").iterdir())
    peak_mb = peak_rss_mb()
    median = statistics.median(timings)
    print(machine())
    print(f"templates written: {counts} for {args.projects} projects (period {PERIOD})")
    print(f"rounds: {', '.join(f'{t:.2f} s' for t in timings)}; median {median:.2f} s "
          f"({1000 * median / max(counts, 1):.1f} ms a template); target < 20 s: {'met' if median < 20 else 'MISSED'}")
    print(f"average template size: {size / max(counts, 1) / 1024:.1f} KB; peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
