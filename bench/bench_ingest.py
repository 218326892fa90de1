"""Benchmark: ingest 1,000 filled returns end to end, against merely opening them with openpyxl.

    .venv/bin/python bench/bench_ingest.py [--returns 1000] [--rounds 3] [--readers 200]
                                           [--db sqlite|postgresql|postgresql://USER@HOST/DB]

Builds a portfolio of N projects (every one due in December) and one filled return per
project, written by the project's own template writer with a partner's answers typed in
(a third of them messy but valid). Then, in the same run:

- baseline: `openpyxl.load_workbook` on every return (nothing else), median of the rounds;
- ingest: `Office.ingest` into a fresh store (read, normalise, validate the batch,
  store every return in its own transaction with its archived file, write the report),
  median of the rounds, each round in a fresh child process, whose peak RSS is reported;
- per-file readers on the first `--readers` returns: openpyxl, openpyxl read-only with one
  `iter_rows` pass, and pmo's reader (defined names from `xl/workbook.xml`, only their cells
  streamed from the sheet XML: `etl.cycle.cells`).

Targets (issue 3): ingest faster than the baseline, and under 15 s for 1,000 returns.
With `--db postgresql` (a throwaway server, see `measure.fresh_stores`) the same rounds
store into PostgreSQL; target (issue 14): within 1.5 times the SQLite figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_templates import PERIOD, build_portfolio  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.demo.partner import fill_return, plan_row  # noqa: E402
from etl.cycle.portfolio import load_portfolio, reporting_plan  # noqa: E402
from etl.cycle.templates import TemplateContext  # noqa: E402
from helpers_returns import good_answers, messy_answers  # noqa: E402
from measure import fresh_stores, machine, peak_rss_mb  # noqa: E402

RECEIVED = dt.date(2025, 1, 8)


def _write_returns(job: tuple[Path, Path, list[str]]) -> int:
    portfolio_path, folder, projects = job
    settings = Settings()
    plan = reporting_plan(load_portfolio(portfolio_path, settings), PERIOD, settings)
    for i, project in enumerate(projects):
        ctx = TemplateContext.from_plan_row(plan_row(plan, project), PERIOD, settings)
        answers = (messy_answers if i % 3 == 0 else good_answers)(ctx.report_type, PERIOD)
        fill_return(folder, ctx, answers, RECEIVED)
    return len(projects)


def build_returns(portfolio_path: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    projects = list(load_portfolio(portfolio_path).index)
    jobs = [(portfolio_path, folder, projects[i::2]) for i in range(2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_write_returns, jobs)
    return sorted(folder.iterdir())


def baseline(paths: list[Path]) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    for path in paths:
        load_workbook(path).close()
    return time.perf_counter() - start


def _ingest_round(portfolio_path: Path, folder: Path, work: Path, store, queue) -> None:
    from etl.office import Office

    office = Office(outputs=work / "out", db=store, portfolio_path=portfolio_path, settings=Settings())
    office.portfolio  # loaded before the clock starts, as before
    start = time.perf_counter()
    result = office.ingest(folder, PERIOD)
    elapsed = time.perf_counter() - start
    queue.put((elapsed, len(result.all_accepted), len(result.rejected),
               peak_rss_mb()))


def ingest_round(portfolio_path: Path, folder: Path, work: Path, store) -> tuple[float, int, int, float]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_ingest_round, args=(portfolio_path, folder, work, store, queue))
    process.start()
    figures = queue.get()
    process.join()
    return figures


def per_file_readers(paths: list[Path]) -> dict[str, float]:
    """Median milliseconds a file for each way of reading a return's fields."""
    from openpyxl import load_workbook

    from etl.cycle.reader import read_return

    def openpyxl_full(path: Path) -> None:
        book = load_workbook(path, data_only=True)
        for name in ("rag_this_period", "pm_update", "risks"):
            for sheet, ref in book.defined_names[name].destinations:
                book[sheet][ref.replace("$", "")]  # noqa: B018 - resolve the cell(s)
        book.close()

    def openpyxl_read_only(path: Path) -> None:
        book = load_workbook(path, read_only=True, data_only=True)
        list(book["Highlight Report"].iter_rows(values_only=True))
        list(book["_meta"].iter_rows(values_only=True))
        book.close()

    def pmo_reader(path: Path) -> None:
        read_return(path, path.read_bytes())

    out = {}
    for label, reader in (("openpyxl load_workbook (data_only) + names", openpyxl_full),
                          ("openpyxl read-only, one iter_rows pass", openpyxl_read_only),
                          ("names from workbook.xml + streamed cells (etl.cycle.reader)", pmo_reader)):
        times = []
        for path in paths:
            start = time.perf_counter()
            reader(path)
            times.append(time.perf_counter() - start)
        out[label] = 1000 * statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql (a throwaway server) or a postgresql:// URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_stores(args.db) as fresh:
        tmp_path = Path(tmp)
        portfolio_path = build_portfolio(args.returns, tmp_path / "portfolio.xlsx")
        start = time.perf_counter()
        paths = build_returns(portfolio_path, tmp_path / "returns")
        made = time.perf_counter() - start
        size = sum(p.stat().st_size for p in paths) / len(paths) / 1024

        readers = per_file_readers(paths[: args.readers])
        baselines, ingests, peaks, counts = [], [], [], (0, 0)
        for round_number in range(args.rounds):
            baselines.append(baseline(paths))
            work = tmp_path / f"round{round_number}"
            elapsed, accepted, rejected, peak = ingest_round(portfolio_path, tmp_path / "returns", work, fresh(work))
            ingests.append(elapsed)
            peaks.append(peak)
            counts = (accepted, rejected)

    base, ingest = statistics.median(baselines), statistics.median(ingests)
    print(machine())
    print(f"store: {args.db.split('@')[-1]}")
    print(f"returns: {len(paths)} (average {size:.1f} KB), written in {made:.1f} s; "
          f"ingested: {counts[0]} accepted, {counts[1]} rejected")
    print("reading one return (median ms):")
    for label, ms in readers.items():
        print(f"  {label}: {ms:.2f} ms")
    print(f"baseline, openpyxl.load_workbook on every return: {', '.join(f'{t:.2f}' for t in baselines)} s; "
          f"median {base:.2f} s")
    print(f"ingest end to end (read, validate, store, report): {', '.join(f'{t:.2f}' for t in ingests)} s; "
          f"median {ingest:.2f} s ({1000 * ingest / len(paths):.2f} ms a return)")
    print(f"ratio ingest / baseline: {ingest / base:.2f}; target ingest < baseline: "
          f"{'met' if ingest < base else 'MISSED'}; target < 15 s: {'met' if ingest < 15 else 'MISSED'}")
    print(f"peak memory (RSS) of an ingest round: {max(peaks):.0f} MB; "
          f"of this process: {peak_rss_mb():.0f} MB")
    if counts[1]:
        print("WARNING: some bench returns were rejected")


if __name__ == "__main__":
    main()
