"""Benchmark: the corporate performance report for 1,000 KPIs with 12 data releases of history.

    .venv/bin/python bench/bench_scorecard.py [--kpis 1000] [--history 12] [--rounds 5]

Builds a KPI workbook of N KPIs from the bundled September 2023 example (metrics made
unique, spread over the committees, every one with a comparator, the Red ones' planned
actions kept), fills a store with 12 earlier monthly reports, each a new data release of
every KPI (so every KPI has a sparkline and a release before this one), then times the
whole `pmo scorecard` work: loading and validating the sheet, the portfolio and the
corporate plan, reading history, rating, writing the workbook AND the Word committee paper,
and recording the period's values and releases. Prints the median of the rounds and the
peak memory (RSS) of the process. Target: under 3 s for 1,000 KPIs × 12 releases.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.rules.periods import Period  # noqa: E402
from etl.cycle.scorecard import load_kpis, new_releases, reported_values, score_kpis  # noqa: E402
from etl.store.kpis import kpi_releases, record_kpi_releases, record_kpi_values  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.office import Office  # noqa: E402
from etl.workbooks.inputs import write_kpis  # noqa: E402
from etl.store.db import Store  # noqa: E402
from schemas.kpi import COMMITTEES  # noqa: E402
from etl.demo.examples import text_records  # noqa: E402
from measure import machine, peak_rss_mb  # noqa: E402

PERIOD = Period(2024, 12)


def build_kpis(n: int, path: Path) -> Path:
    base = text_records(ROOT / "etl" / "demo" / "examples_data" / "kpis.csv")
    records = []
    for i in range(n):
        record = dict(base[i % len(base)])
        record["Metric"] = f"{record['Metric']} ({i + 1})"
        record["Committee"] = COMMITTEES[i % len(COMMITTEES)] if i % 5 else None
        record["Date of Latest Available Data"] = str(PERIOD)  # this report brings a new release
        if not record.get("Comparator"):
            record["Comparator"], record["Comparator Value"] = "England", record["Current Period Performance"]
        records.append(record)
    return write_kpis(records, path)


def fill_history(kpis_path: Path, db: Path, months: int) -> None:
    """`months` earlier reports, each with a new data release (dated by its month) of every KPI."""
    import dataclasses

    kpis = load_kpis(kpis_path)
    with Store(db) as store:
        for back in range(months, 0, -1):
            period = PERIOD.shift(-back)
            dated = [dataclasses.replace(k, latest_data=str(period)) for k in kpis]
            scored = score_kpis(dated, period, kpi_releases(store, period))
            record_kpi_values(store, period, reported_values(scored))
            record_kpi_releases(store, period, new_releases(scored, period))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=1000)
    parser.add_argument("--history", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        kpis = build_kpis(args.kpis, tmp_path / "kpis.xlsx")
        db = tmp_path / "pmo.db"
        fill_history(kpis, db, args.history)
        timings = []
        for round_number in range(args.rounds):
            start = time.perf_counter()
            office = Office(outputs=tmp_path / f"out{round_number}", db=db, portfolio_path=ROOT / "inputs" / "portfolio.xlsx",
                            settings=Settings())
            run = office.scorecard(PERIOD, kpis, ROOT / "inputs" / "corporate_plan.xlsx",
                                   ROOT / "inputs" / "corporate_plan.xlsx")
            timings.append(time.perf_counter() - start)
            assert len(run.scored) == args.kpis and all(s.has_trend for s in run.scored)
            assert all(s.previous_from_history or s.previous_from == "KPI sheet" for s in run.scored)
        size, paper = run.path.stat().st_size, run.paper_path.stat().st_size
    peak_mb = peak_rss_mb()
    median = statistics.median(timings)
    print(machine())
    print(f"report: {args.kpis} KPIs, {args.history} earlier data releases each, {len(run.red)} Red; "
          f"workbook {size / 1024:.0f} KB, paper {paper / 1024:.0f} KB")
    print(f"rounds: {', '.join(f'{t:.2f} s' for t in timings)}; median {median:.2f} s; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
