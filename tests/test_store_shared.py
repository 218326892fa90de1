"""Officers working on one store at once, on SQLite and on PostgreSQL (each test runs on both).

Runs are separate `pmo` processes started at the same moment: each imports everything,
then waits for a barrier file, so their work overlaps as two officers' would. Afterwards
the store, each run's own report and the SMTP server are checked: no error, no return lost
or stored twice, no e-mail sent twice, and each run recorded in `pmo log`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT, example_rows, write_rows_csv
from etl.cycle.ingest import SLOW_ENV
from etl.cycle.portfolio import load_portfolio
from etl.store.backend import WRITER_LOCK
from etl.store.db import Store
from helpers_returns import PERIOD, good_return
from helpers_smtp import MailServer

PROJECTS = ["CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004", "CPCA-005", "CPCA-006"]

# A `pmo` run that has done its imports and waits for the barrier before starting work.
_AT_THE_BARRIER = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
import cli, pandas, pandera, etl.cycle.ingest, etl.cycle.register, etl.mail.distribute
open(sys.argv[2] + "." + str(os.getpid()), "w").close()  # ready
while not os.path.exists(sys.argv[2]):
    time.sleep(0.002)
sys.argv = ["pmo", *sys.argv[3:]]
cli.main()
"""


def start_together(tmp_path: Path, *commands: list[str], env: dict | None = None) -> list[subprocess.CompletedProcess]:
    """Run each `pmo` command in its own process, released at the same moment; their results."""
    barrier = tmp_path / "go"
    processes = [
        subprocess.Popen([sys.executable, "-c", _AT_THE_BARRIER, str(ROOT), str(barrier), *command], cwd=tmp_path,
                         env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.*"))) < len(processes) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        time.sleep(0.01)
    barrier.touch()
    results = []
    for process, command in zip(processes, commands):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def _returns_folder(tmp_path: Path, rejected: bool = False) -> Path:
    folder = tmp_path / "returns"
    folder.mkdir()
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    for project in PROJECTS:
        good_return(folder, portfolio, project)
    if rejected:
        (folder / "blank.xlsx").write_bytes(b"")  # a file each run rejects
    return folder


def _ingest_args(folder: Path, store_url, outputs: Path, officer: str) -> list[str]:
    return ["ingest", str(folder), "--period", str(PERIOD), "--db", str(store_url), "--inputs", str(ROOT / "inputs"),
            "--outputs", str(outputs), "--as", officer]


def test_two_ingests_at_once_store_each_return_once_and_both_report_fully(tmp_path, store_url):
    folder = _returns_folder(tmp_path, rejected=True)

    runs = start_together(tmp_path, _ingest_args(folder, store_url, tmp_path / "out-a", "alice"),
                          _ingest_args(folder, store_url, tmp_path / "out-b", "bob"), env={SLOW_ENV: "0.05"})

    for run in runs:
        assert run.returncode == 1, run.stderr  # the blank file is rejected: exit 1, as alone
        assert "Traceback" not in run.stderr and "Error" not in run.stderr
        assert "Rejected: blank.xlsx" in run.stdout
    counts = [tuple(map(int, re.search(r"Accepted (\d+), .* duplicates skipped (\d+)", r.stdout).groups())) for r in runs]
    assert sum(accepted for accepted, _ in counts) == len(PROJECTS)  # between them, each stored once
    for accepted, duplicates in counts:
        assert accepted + duplicates == len(PROJECTS)  # and each run accounts for every file
    for out in ("out-a", "out-b"):
        files = load_workbook(tmp_path / out / str(PERIOD) / "validation_report.xlsx")["Files"]
        outcomes = {r[0]: r[2] for r in files.iter_rows(min_row=2, values_only=True) if r[0]}
        assert outcomes.pop("blank.xlsx") == "Rejected"
        assert len(outcomes) == len(PROJECTS) and set(outcomes.values()) <= {"Accepted", "Duplicate (skipped)"}
    with Store(store_url, record_run=False) as store:
        assert sorted(r["project_id"] for r in store.current_returns(PERIOD)) == PROJECTS
        accepted = [f for f in store.files(PERIOD) if f["outcome"] == "accepted"]
        assert len(accepted) == len(PROJECTS) == len({f["sha256"] for f in accepted})
        assert [f["name"] for f in store.files(PERIOD) if f["outcome"] == "rejected"] == ["blank.xlsx"]  # once
        runs_logged = {r["officer"]: r for r in store.runs(command="ingest")}
        assert set(runs_logged) == {"alice", "bob"}
        assert all(r["outcome"] == "problems" and r["ended_at"] for r in runs_logged.values())
        by_run = {f["run_id"] for f in accepted}
        assert by_run <= {r["id"] for r in runs_logged.values()}
        assert sum(r["counts"]["accepted"] for r in runs_logged.values()) == len(PROJECTS)


def _mail_office(tmp_path: Path, store_url) -> tuple[list[str], dict]:
    rows = [r for r in example_rows() if r["Project ID"] in PROJECTS[:4]]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    portfolio = write_rows_csv(rows, inputs / "portfolio.csv")
    common = ["--period", str(PERIOD), "--inputs", str(inputs), "--outputs", str(tmp_path / "outputs"),
              "--db", str(store_url)]
    made = subprocess.run([sys.executable, str(ROOT / "cli.py"), "templates", *common, "--portfolio", str(portfolio)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return common, {r["Project ID"]: r for r in rows}


def test_two_sends_at_once_mail_each_partner_once(tmp_path, store_url):
    common, rows = _mail_office(tmp_path, store_url)
    server = MailServer().start()
    try:
        smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port)]
        runs = start_together(tmp_path, ["send", *common, *smtp, "--as", "alice"],
                              ["send", *common, *smtp, "--as", "bob"])
        received = list(server.received)
    finally:
        server.stop()

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    subjects = [r.message["Subject"] for r in received]
    assert len(subjects) == len(rows) == len(set(subjects))  # every partner once, nobody twice
    sent = [int(re.search(r"(\d+) sent", r.stdout)[1]) for r in runs]
    skipped = [int(re.search(r"(\d+) already sent", r.stdout)[1]) for r in runs]
    assert sum(sent) == len(rows) and all(s + k == len(rows) for s, k in zip(sent, skipped))
    with Store(store_url, record_run=False) as store:
        logged = store.messages(kind="send", status="sent")
        assert sorted(m["project_id"] for m in logged) == sorted(rows)
        runs_logged = {r["id"]: r["officer"] for r in store.runs(command="send")}
        assert sorted(runs_logged.values()) == ["alice", "bob"]
        assert {m["run_id"] for m in logged} <= set(runs_logged)
        assert store.db.execute("SELECT COUNT(*) FROM message_claims").fetchone()[0] == 0  # none left held


def test_an_ingest_beside_a_register_build_both_complete(tmp_path, store_url):
    folder = _returns_folder(tmp_path)
    first = subprocess.run([sys.executable, str(ROOT / "cli.py"), *_ingest_args(folder, store_url, tmp_path / "o", "x")],
                           capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    more = tmp_path / "more"
    more.mkdir()
    good_return(more, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-007")
    register = ["register", "--period", str(PERIOD), "--as-of", "2023-10-20", "--db", str(store_url),
                "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out"), "--as", "carol"]

    runs = start_together(tmp_path, _ingest_args(more, store_url, tmp_path / "out", "dave"), register,
                          env={SLOW_ENV: "0.05"})

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    summary = load_workbook(tmp_path / "out" / str(PERIOD) / f"single_project_register_{PERIOD}.xlsx")["Summary"]
    labels = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert labels["Built by"] == "carol"
    with Store(store_url, record_run=False) as store:
        assert len(store.current_returns(PERIOD)) == len(PROJECTS) + 1
        [built] = store.runs(command="register")
        stamped = {r[0] for r in store.db.execute("SELECT DISTINCT run_id FROM positions")}
        assert stamped == {built["id"]} and built["officer"] == "carol" and built["outcome"] == "ok"


def _hold_write_lock(store_url):
    """Another officer's run in the middle of writing: the store's writer lock, held."""
    store = Store(store_url, record_run=False)
    store.backend.begin_write(None)
    return store


def test_a_second_writer_waits_and_says_so_instead_of_failing(tmp_path, store_url):
    folder = tmp_path / "returns"
    folder.mkdir()
    good_return(folder, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-001")
    with Store(store_url, record_run=False):
        pass  # the store exists, so the run below goes straight to writing
    holder = _hold_write_lock(store_url)
    try:
        process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"),
                                    *_ingest_args(folder, store_url, tmp_path / "out", "erin")],
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)
        assert process.poll() is None, process.communicate()  # still waiting, not failed
    finally:
        holder.backend.commit()
        holder.close()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Waiting: another pmo run is writing to the store" in err
    assert "Accepted 1," in out
    assert WRITER_LOCK  # the lock PostgreSQL writers share (SQLite's is its own)


@pytest.mark.parametrize("officer_env", [None, "Frank Officer"])
def test_pmo_log_lists_runs_with_officer_and_filters(tmp_path, store_url, officer_env):
    folder = _returns_folder(tmp_path)
    env = {**os.environ, "PMO_OFFICER": officer_env} if officer_env else {
        k: v for k, v in os.environ.items() if k != "PMO_OFFICER"}
    args = _ingest_args(folder, store_url, tmp_path / "out", "x")[:-2]  # no --as: the environment or the login
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    log = subprocess.run([sys.executable, str(ROOT / "cli.py"), "log", "--db", str(store_url), "--command", "ingest",
                          "--period", str(PERIOD)], capture_output=True, text=True, env=env)
    assert log.returncode == 0, log.stderr
    import getpass

    who = officer_env or getpass.getuser()
    assert who in log.stdout and f"ingest {PERIOD}: ok ({len(PROJECTS)} accepted" in log.stdout
    assert "1 run(s)" in log.stdout
    other = subprocess.run([sys.executable, str(ROOT / "cli.py"), "log", "--db", str(store_url), "--officer", "nobody"],
                           capture_output=True, text=True, env=env)
    assert other.returncode == 0 and "0 run(s)" in other.stdout
    with Store(store_url, record_run=False) as store:
        [run] = store.runs()
        assert run["options"]["folder"] == str(folder) and run["options"]["db"] == str(store_url)


def test_scorecard_and_highlight_run_on_either_backend(tmp_path, store_url):
    common = ["--period", "2023-09", "--db", str(store_url), "--inputs", str(ROOT / "inputs"),
              "--outputs", str(tmp_path / "out"), "--as", "gina"]
    for command in (["scorecard"], ["highlight", "--programme", "Improvement Plan Phase 2"]):
        done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *command, *common], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "2023-09" / "corporate_performance_report_2023-09.xlsx").exists()
    with Store(store_url, record_run=False) as store:
        [run] = store.runs()  # the highlight report only reads the store
        assert (run["command"], run["officer"], run["outcome"]) == ("scorecard", "gina", "ok")
        assert run["counts"]["kpis"] > 0


def test_a_message_claim_is_held_while_sending_and_a_stale_one_is_taken_over(store_url):
    with Store(store_url, record_run=False) as alice, Store(store_url, record_run=False) as bob:
        assert alice.claim_message("send|2023-09|CPCA-001")
        assert not bob.claim_message("send|2023-09|CPCA-001")  # alice is sending it
        alice.record_message("send", "2023-09", "CPCA-001", "pm@example.org", "", "Subject", None, None, "sent",
                             claim_key="send|2023-09|CPCA-001")
        assert bob.claim_message("send|2023-09|CPCA-001")  # released; the message log now says it went
        bob.release_claim("send|2023-09|CPCA-001")
        # A run killed mid-send leaves its claim; once stale, another run may take it over.
        assert alice.claim_message("send|2023-09|CPCA-002")
        with alice.transaction() as db:
            db.execute("UPDATE message_claims SET claimed_at = '2023-10-01T09:00:00+00:00'")
        assert bob.claim_message("send|2023-09|CPCA-002")
        assert not alice.claim_message("send|2023-09|CPCA-002")
