"""Benchmark: the register for 10,000 projects with a year of history (target: under 5 s
and under 500 MB peak memory on a 2-core machine).

    .venv/bin/python bench/bench_register.py [--projects 10000] [--rounds 3]
                                             [--db sqlite|postgresql|postgresql://USER@HOST/DB]

Set-up (not timed): a portfolio workbook of N projects made from the bundled examples by
`bench_templates.build_portfolio` (IDs made unique; the Delivery, Concept and Business Case
projects, so every frequency and report type occurs), and a store holding twelve months of
returns for them, written straight into SQLite with `Store.transaction` and `executemany`
(going through `accept_return` would archive a real file for each of ~70,000 returns and
take minutes; the rows are the same shape). Each return has a RAG, PM update, forecast
date, a next-period milestone and a risk; one return in five moves its RAG a point up or
down (so about a fifth of projects show a change and a quarter are escalated); about one
project in twelve due this month has no return, and one in forty has a rejected file.
Timed: what `pmo register` does (load and validate the portfolio, build the register from
the store, record its position, write the workbook). No register was built for the eleven
earlier months, so the trend works each of them out from the returns in the store (the
slower path: a month with a recorded position is one query). Prints each round, the
median, CPU time and peak RSS.
`--db postgresql` builds the same store on a throwaway PostgreSQL server (see
`measure.fresh_stores`); target (issue 14): within 1.5 times the SQLite figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.config import Settings  # noqa: E402
from etl.contracts.fields import FIELDS  # noqa: E402
from etl.rules.periods import Period, is_due, report_type  # noqa: E402
from etl.cycle.portfolio import load_portfolio  # noqa: E402
from etl.rules.rag import RAG_SCALE  # noqa: E402
from etl.office import Office  # noqa: E402
from etl.store.db import Store  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
from bench_templates import build_portfolio  # noqa: E402
from measure import fresh_stores, machine, peak_rss_mb  # noqa: E402

PERIOD = Period(2024, 9)
AS_OF = dt.date(2024, 10, 25)
UPDATE = ("Works progressing to programme; utility diversions complete on the northern section. "
          "Two risks escalated to the board; forecast unchanged. ") * 3


def build_store(portfolio_path: Path, db: Path | str, seed: int = 1) -> int:
    """A year of returns for every project that reports, straight into the store; the count."""
    rng = random.Random(seed)
    portfolio = load_portfolio(portfolio_path)
    columns = [f.name for f in FIELDS if f.name not in ("project_id", "period")]
    fixed = ["project_id", "period", "report_type", "template_version", "sha256", "file_name",
             "archive_path", "received_at", "ingested_at"]
    sql = (f"INSERT INTO returns ({', '.join(fixed + columns)}) VALUES ({', '.join('?' * (len(fixed) + len(columns)))})")
    rows, milestones, risks = [], [], []
    return_id = 0
    for pid, stage, frequency in zip(portfolio.index, portfolio["stage"], portfolio["frequency"]):
        rtype = report_type(stage) or "Full"
        rank = rng.randrange(5)
        for back in range(11, -1, -1):
            period = PERIOD.shift(-back)
            if not is_due(stage, frequency, period):
                continue
            if back == 0 and rng.random() < 1 / 12:
                continue  # missing this month
            # One return in five moves a point up or down the scale (a busy month for a PMO).
            rank = min(max(rank + rng.choice((-1, 0, 0, 0, 0, 0, 0, 0, 0, 1)), 0), 4)
            received = dt.datetime.combine(period.shift(1).first_day + dt.timedelta(days=rng.randrange(5, 20)), dt.time(9))
            values = {
                "rag_this_period": RAG_SCALE[rank], "pm_update": UPDATE,
                "forecast_completion_date": (dt.date(2025, 3, 31) + dt.timedelta(days=30 * rng.randrange(4))).isoformat(),
                "budget_approved": 1e6, "spend_to_date": 2.5e5, "forecast_outturn": 1.1e6,
                "next_key_milestone": "Contract award", "next_key_milestone_date": "2024-12-01",
                "top_risk": "Contractor capacity in the region", "top_risk_mitigation": "Early engagement",
            }
            return_id += 1
            rows.append([pid, str(period), rtype, "1.0", f"{pid}-{period}", f"{pid}_{period}_highlight.xlsx", None,
                         received.isoformat(), received.isoformat()] + [values.get(c) for c in columns])
            milestones.append((return_id, "next", 1, "Contract award", None, "2024-12-01"))
            risks.append((return_id, 1, "Contractor capacity in the region", "Early engagement", "High"))
    with Store(db) as store, store.transaction() as db_:
        db_.executemany(sql, rows)
        db_.executemany("INSERT INTO milestones VALUES (?, ?, ?, ?, ?, ?)", milestones)
        db_.executemany("INSERT INTO risks VALUES (?, ?, ?, ?, ?)", risks)
        rejected = [(f"bad{i}", f"{pid}_{PERIOD}_highlight.xlsx", str(PERIOD), pid)
                    for i, pid in enumerate(portfolio.index[::40])]
        db_.executemany(
            "INSERT INTO files (sha256, name, offered_at, period, outcome, project_id) VALUES (?, ?, '2024-10-10T09:00:00', ?, 'rejected', ?)",
            rejected,
        )
    return len(rows)


def build_case(projects: int, folder: Path, db: Path | str | None = None) -> tuple[Path, Path | str, int, float]:
    """The set-up: a portfolio of `projects` and its store (`folder/pmo.db`, or `db`, e.g. a
    PostgreSQL URL); (portfolio, db, returns stored, seconds taken)."""
    start = time.perf_counter()
    portfolio = build_portfolio(projects, folder / "portfolio.xlsx")
    db = db or folder / "pmo.db"
    count = build_store(portfolio, db)
    return portfolio, db, count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql (a throwaway server) or a postgresql:// URL")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, fresh_stores(args.db) as fresh:
        tmp_path = Path(tmp)
        portfolio, db, count, setup = build_case(args.projects, tmp_path, fresh(tmp_path))
        timings, cpu = [], []
        for round_number in range(args.rounds):
            start, start_cpu = time.perf_counter(), time.process_time()
            office = Office(outputs=tmp_path / f"out{round_number}", db=db, portfolio_path=portfolio, settings=Settings())
            path, register = office.register(PERIOD, AS_OF)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        size_mb = path.stat().st_size / 1e6
        status = register.status_counts()
    peak_mb = peak_rss_mb()
    median = statistics.median(timings)
    print(machine())
    print(f"store: {args.db.split('@')[-1]}")
    print(f"set-up (not timed): {args.projects} projects, {count} returns over 12 months in {setup:.1f} s")
    print(f"register {PERIOD}: {len(register.rows)} rows; {status['Received'] + status['Received late']} received, "
          f"{status['Missing']} missing, {len(register.escalations)} escalated, {len(register.changes)} changes; "
          f"{size_mb:.1f} MB")
    print(f"rounds: {', '.join(f'{t:.2f} s' for t in timings)}; median {median:.2f} s; target < 5 s: "
          f"{'met' if median < 5 else 'MISSED'}")
    # CPU time is the fairer figure when other work shares the machine (see the load average).
    print(f"CPU time per round: median {statistics.median(cpu):.2f} s; load average before: {load[0]:.2f}")
    print(f"peak memory (RSS, whole process incl. set-up): {peak_mb:.0f} MB; target < 500 MB: "
          f"{'met' if peak_mb < 500 else 'MISSED'}")


if __name__ == "__main__":
    main()
