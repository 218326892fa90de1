"""Benchmark: `pmo collect` takes 1,000 e-mailed returns from a local Dovecot (target: under 30 s on 2 cores).

    .venv/bin/python bench/bench_collect.py [--messages 1000] [--rounds 3]

Builds a portfolio of N projects and one filled return per project (bench_ingest.py's
builder: pmo's own template writer with a partner's answers typed in), wraps each in the
e-mail its project manager sends back (`tests/helpers_imap.reply_with_return`) and
delivers them all into a private Dovecot on loopback (IMAP APPEND). Each round then, with a
fresh store, times `etl.mail.inbox.collect_mailbox`: select the folder, fetch headers and
sizes, download the bodies, parse the messages, ingest every attached workbook (validate,
store, archive with the message) and record each message as taken, then write the
validation report (`etl.office.Office.collect`, what `pmo collect` runs; the portfolio is
read inside the timing too).
Dovecot runs in its own processes on the same two cores, so its work is in the figure.
Prints the median and the peak memory of this process.
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
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_ingest import build_returns  # noqa: E402
from bench_templates import PERIOD, build_portfolio  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.cycle.portfolio import load_portfolio  # noqa: E402
from etl.office import Office  # noqa: E402
from helpers_imap import PASSWORD, USER, Dovecot, reply_with_return  # noqa: E402
from measure import machine, peak_rss_mb  # noqa: E402

SENT = dt.datetime(2025, 1, 8, 11, 0, tzinfo=dt.timezone.utc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio_path = build_portfolio(args.messages, tmp_path / "portfolio.xlsx")
        portfolio = load_portfolio(portfolio_path)
        paths = build_returns(portfolio_path, tmp_path / "returns")
        server = Dovecot().start()
        try:
            emails = portfolio.set_index("project_id")["project_manager_email"].to_dict()
            messages = [reply_with_return(emails[path.name.split("_")[0]], [(path.name, path.read_bytes())],
                                          SENT + dt.timedelta(seconds=i), subject=f"RE: {path.stem}")
                        for i, path in enumerate(paths)]
            start = time.perf_counter()
            server.deliver(*messages)
            delivered = time.perf_counter() - start
            settings = Settings(imap_host="127.0.0.1", imap_port=server.port, imap_user=USER, imap_security="plain")
            for round_number in range(args.rounds):
                office = Office(inputs=tmp_path, outputs=tmp_path / f"out{round_number}",
                                db=tmp_path / f"round{round_number}.db", portfolio_path=portfolio_path,
                                settings=settings)
                start = time.perf_counter()
                result = office.collect(PERIOD, PASSWORD)
                times.append(time.perf_counter() - start)
                assert result.ingest is not None and not result.lost
                accepted = len(result.ingest.all_accepted)
                assert accepted == len(paths), result.ingest.summary()
        finally:
            server.close()
    median = statistics.median(times)
    print(machine())
    print(f"messages: {len(paths)} with one return each (period {PERIOD}); delivered by IMAP APPEND in {delivered:.1f} s")
    print(f"collect + ingest: {', '.join(f'{t:.2f} s' for t in times)}; median {median:.2f} s "
          f"({1000 * median / max(len(paths), 1):.1f} ms a message); accepted {accepted} a round; "
          f"target < 30 s: {'met' if median < 30 else 'MISSED'}")
    print(f"peak memory (RSS): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
