"""Benchmark: a programme highlight report of 50 workstreams with long text, and a close-down
tracker of 1,000 actions.

    .venv/bin/python bench/bench_highlight.py [--workstreams 50] [--actions 1000] [--rounds 5]

The store is filled once (each workstream's return carries seed 000's longest narrative, a
6,000-character PM update, and 10 milestones and risks each); then `Office.highlight` (load
the portfolio, read the store, write the workbook) and `Office.closedown` (read and check
the actions, write the tracker) are timed. Prints the median of the rounds and the peak
memory (RSS) of the process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from etl.demo.examples import load_example_returns  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.office import Office  # noqa: E402
from etl.rules.periods import Period  # noqa: E402
from etl.cycle.portfolio import load_portfolio  # noqa: E402
from etl.workbooks.inputs import write_actions, write_portfolio  # noqa: E402
from etl.store.db import Store  # noqa: E402
from etl.cycle.templates import Answers  # noqa: E402
from helpers_store import store_return  # noqa: E402
from etl.demo.examples import portfolio_records, text_records  # noqa: E402
from measure import machine, peak_rss_mb  # noqa: E402

PERIOD = Period(2023, 8)
PROGRAMME = "Bench Programme"


def fill(tmp: Path, n: int) -> tuple[Path, Path]:
    base = next(r for r in portfolio_records(ROOT / "etl" / "demo" / "examples_data" / "portfolio.csv") if r["Project ID"] == "CPCA-010")
    records = []
    for i in range(n):
        record = dict(base, **{"Project ID": f"BENCH-{i + 1:03d}", "Project Name": f"Workstream {i + 1}",
                               "Programme": PROGRAMME})
        records.append(record)
    portfolio_path = write_portfolio(records, tmp / "portfolio.xlsx")
    portfolio = load_portfolio(portfolio_path)
    example = load_example_returns(ROOT / "etl" / "demo" / "examples_data" / "returns")["2023-08"]["CPCA-010"].answers
    long = example.values["pm_update"]
    answers = Answers(
        values={**example.values, "sponsor_comments": long[:2000]},
        tables={"milestones_this_period": [(f"Milestone {k} " + long[:150], "On track", None) for k in range(10)],
                "milestones_next_period": [(f"Milestone {k} " + long[:150], None) for k in range(10)],
                "risks": [(long[:300], long[300:600], "Medium") for _ in range(10)]},
    )
    ratings = ["Green", "Green/Amber", "Amber", "Amber/Red", "Red"]
    with Store(tmp / "pmo.db") as store:
        for i, project_id in enumerate(portfolio.index):
            values = {**answers.values, "rag_this_period": ratings[i % 5]}
            store_return(store, portfolio, project_id, PERIOD, Answers(values, answers.tables), tmp / "files")
    return portfolio_path, tmp / "pmo.db"


def actions(tmp: Path, n: int) -> Path:
    base = text_records(ROOT / "etl" / "demo" / "examples_data" / "closedown.csv")
    records = []
    for i in range(n):
        record = dict(base[i % len(base)])
        record["Theme"] = f"Theme {i // 50 + 1}" if i % 50 == 0 else None
        records.append(record)
    return write_actions(records, tmp / "closedown.xlsx")


def timed(rounds: int, work) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstreams", type=int, default=50)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio, db = fill(tmp_path, args.workstreams)
        results = {}
        highlight = timed(args.rounds, lambda: results.setdefault("h", []).append(
            Office(outputs=tmp_path / "out", db=db, portfolio_path=portfolio, settings=Settings()).highlight(
                PROGRAMME, PERIOD)))
        path, report = results["h"][-1]
        print(f"highlight: {len(report.workstreams)} workstreams, overall {report.overall_rag}; rounds "
              f"{', '.join(f'{t:.2f}' for t in highlight)} s; median {statistics.median(highlight):.2f} s; "
              f"{path.stat().st_size / 1024:.0f} KB")
        source = actions(tmp_path, args.actions)
        closedown = timed(args.rounds, lambda: results.setdefault("c", []).append(
            Office(outputs=tmp_path / "out", settings=Settings()).closedown(source, dt.date(2023, 10, 20))))
        path, done = results["c"][-1]
        print(f"closedown: {len(done)} actions; rounds {', '.join(f'{t:.2f}' for t in closedown)} s; "
              f"median {statistics.median(closedown):.2f} s; {path.stat().st_size / 1024:.0f} KB")
    print(f"peak memory (RSS): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
