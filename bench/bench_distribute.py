"""Benchmark: `pmo send` for a 1,000-project portfolio (target: under 30 s on a 2-core machine).

    .venv/bin/python bench/bench_distribute.py [--projects 1000] [--rounds 3]

Writes the templates once (see bench_templates.py), then per round, with a fresh store,
times composing every email (message templates rendered, workbook attached) and sending
them over one connection to a real SMTP server on loopback (aiosmtpd, from the test
extra), each outcome logged in the store; and, separately, writing them as `.eml` drafts.
The server's own work is in the figure too (it runs in this process). Prints the medians
and the peak memory.
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
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_templates import PERIOD, build_portfolio  # noqa: E402
from etl.config import Settings  # noqa: E402
from etl.mail.mailer import EmlFolder, SmtpConfig, SmtpServer  # noqa: E402
from etl.office import Office  # noqa: E402
from helpers_smtp import MailServer  # noqa: E402
from measure import machine, peak_rss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    smtp_times, eml_times, sent = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio = build_portfolio(args.projects, tmp_path / "portfolio.xlsx")
        Office(outputs=tmp_path / "out", db=tmp_path / "templates.db", portfolio_path=portfolio,
               settings=settings).templates(PERIOD)
        server = MailServer().start()
        try:
            for round_number in range(args.rounds):
                office = Office(inputs=tmp_path / "none", outputs=tmp_path / "out", db=tmp_path / f"smtp{round_number}.db",
                                settings=settings)
                start = time.perf_counter()
                outcomes = office.mail("send", PERIOD, SmtpServer(SmtpConfig("127.0.0.1", server.port))).outcomes
                smtp_times.append(time.perf_counter() - start)
                assert all(o.status == "sent" for o in outcomes), {o.detail for o in outcomes}
                sent = len(outcomes)
                office = Office(inputs=tmp_path / "none", outputs=tmp_path / "out", db=tmp_path / f"eml{round_number}.db",
                                settings=settings)
                start = time.perf_counter()
                office.mail("send", PERIOD, EmlFolder(tmp_path / f"eml{round_number}"))
                eml_times.append(time.perf_counter() - start)
        finally:
            server.stop()
        received = len(server.received)
    peak_mb = peak_rss_mb()
    smtp_median, eml_median = statistics.median(smtp_times), statistics.median(eml_times)
    print(machine())
    print(f"emails a round: {sent} for {args.projects} projects (period {PERIOD}); server received {received} in all")
    print(f"send over SMTP (loopback): {', '.join(f'{t:.2f} s' for t in smtp_times)}; median {smtp_median:.2f} s "
          f"({1000 * smtp_median / max(sent, 1):.1f} ms an email); target < 30 s: {'met' if smtp_median < 30 else 'MISSED'}")
    print(f"write .eml drafts: {', '.join(f'{t:.2f} s' for t in eml_times)}; median {eml_median:.2f} s "
          f"({1000 * eml_median / max(sent, 1):.1f} ms an email)")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
