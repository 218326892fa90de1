"""Benchmark: the public dashboard for 10,000 projects with twelve periods of history (targets: the
site written in under 5 s and 500 MB; in the browser the overview interactive within 1 s and a
filter change shown within 200 ms, on a 2-core machine).

    .venv/bin/python bench/bench_dashboard.py [--projects 10000] [--rounds 3] [--no-browser]

Set-up (not timed): the portfolio and store of `bench_register` (N projects from the bundled
examples, a year of returns written straight into SQLite). Timed: what `pmo dashboard` does
(load and validate the portfolio and the boundaries, build the register's view from the
store, write index, project pages and open data). Then, in headless Chromium from file://:
`ready` is when the page's script has drawn every point and the first page of the list
(performance.now() from navigation start); a filter change is timed in the page from the
change event to the second animation frame after it (so style, layout and paint count).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from bench_register import AS_OF, PERIOD, build_case  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.office import Office  # noqa: E402
from measure import children_peak_rss_mb, cpu_seconds, machine, peak_rss_mb  # noqa: E402

# Time from a change to the frame that shows it: the script's render, then two animation frames.
FILTER_CHANGE = """async ([name, value]) => {
    const control = document.querySelector(`#filters [name="${name}"]`);
    const start = performance.now();
    control.value = value;
    control.dispatchEvent(new Event("change", {bubbles: true}));
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return {shown: performance.now() - start, script: window.pmoTimings.render,
            rows: document.querySelectorAll("#list tbody tr").length};
}"""


def browser_figures(index: Path) -> dict[str, float]:
    from helpers_browser import chromium

    figures: dict[str, list[float]] = {"ready": [], "district": [], "directorate": [], "clear": [], "script": []}
    with chromium() as browser:
        for _ in range(3):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(index.as_uri())
            page.wait_for_function("window.pmoTimings && window.pmoTimings.ready")
            figures["ready"].append(page.evaluate("window.pmoTimings.ready"))
            for key, (name, value) in (("district", ("district", "Fenland")), ("directorate", ("directorate", "Place and Connectivity")),
                                       ("clear", ("district", ""))):
                result = page.evaluate(FILTER_CHANGE, [name, value])
                figures[key].append(result["shown"])
                figures["script"].append(result["script"])
            page.close()
    return {k: statistics.median(v) for k, v in figures.items()}


def _phases(portfolio: Path, db: Path, out: Path) -> tuple[float, float, float]:
    """The same work step by step: (load the portfolio, build the dashboard, write the site) in seconds."""
    from etl.cycle.boundaries import boundaries_path, load_boundaries
    from etl.cycle.dashboard import build_dashboard
    from etl.cycle.portfolio import load_portfolio
    from etl.publish.site import write_dashboard
    from etl.store.db import Store

    settings = Settings()
    start = time.perf_counter()
    frame = load_portfolio(portfolio, settings)
    loaded = time.perf_counter()
    with Store(db) as store:
        dashboard = build_dashboard(frame, store, PERIOD, AS_OF, load_boundaries(boundaries_path(settings)), settings)
    built = time.perf_counter()
    write_dashboard(dashboard, out)
    return loaded - start, built - loaded, time.perf_counter() - built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio, db, count, setup = build_case(args.projects, tmp_path)
        timings, cpu, phases = [], [], []
        for round_number in range(args.rounds):
            start, start_cpu = time.perf_counter(), cpu_seconds()
            office = Office(outputs=tmp_path / "out", db=db, portfolio_path=portfolio, settings=Settings())
            index, dashboard = office.dashboard(PERIOD, AS_OF)
            timings.append(time.perf_counter() - start)
            cpu.append(cpu_seconds() - start_cpu)
            phases.append(_phases(portfolio, db, tmp_path / "phases"))
        peak_mb, child_mb = peak_rss_mb(), children_peak_rss_mb()
        folder = index.parent
        size_mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        index_mb = index.stat().st_size / 1e6
        figures = None if args.no_browser else browser_figures(index)
    median = statistics.median(timings)
    print(machine())
    print(f"set-up (not timed): {args.projects} projects, {count} returns over 12 months in {setup:.1f} s")
    print(f"dashboard {PERIOD}: {len(dashboard.projects)} projects, {len(dashboard.positions)} on the map; "
          f"site {size_mb:.1f} MB (index.html {index_mb:.1f} MB)")
    print(f"rounds: {', '.join(f'{t:.2f} s' for t in timings)}; median {median:.2f} s; target < 5 s: "
          f"{'met' if median < 5 else 'MISSED'}")
    load_s, build_s, write_s = (statistics.median(p[i] for p in phases) for i in range(3))
    print(f"of which (medians, measured separately): load and validate the portfolio {load_s:.2f} s, build from the "
          f"store {build_s:.2f} s, write {len(dashboard.projects) + 2} pages and the open data {write_s:.2f} s")
    print(f"CPU time per round (incl. the forked page writer): median {statistics.median(cpu):.2f} s; "
          f"load average before: {load[0]:.2f}")
    print(f"peak memory (RSS, whole process incl. set-up): {peak_mb:.0f} MB; target < 500 MB: "
          f"{'met' if peak_mb < 500 else 'MISSED'}; forked page writer's peak {child_mb:.0f} MB, mostly "
          f"shared with the process that forked it")
    if figures:
        print(f"browser (headless Chromium, file://, median of 3 loads): overview interactive at {figures['ready']:.0f} ms "
              f"(target < 1000 ms: {'met' if figures['ready'] < 1000 else 'MISSED'})")
        worst = max(figures["district"], figures["directorate"], figures["clear"])
        print(f"filter change to the frame showing it: district {figures['district']:.0f} ms, directorate "
              f"{figures['directorate']:.0f} ms, clear {figures['clear']:.0f} ms (script alone: {figures['script']:.0f} ms); "
              f"target < 200 ms: {'met' if worst < 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
