"""A `pmo ingest` killed mid-batch (SIGKILL, no chance to clean up) leaves the store consistent,
and running it again completes the batch without storing anything twice: on SQLite and on
PostgreSQL (the test runs on both).

`PMO_TEST_SLOW_INGEST` makes the run pause after each stored file, so the test can kill it
while some returns are stored and others are not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT
from etl.cycle.ingest import SLOW_ENV
from etl.cycle.portfolio import load_portfolio
from etl.store.backend import store_exists
from etl.store.db import Store, sha256_of
from helpers_returns import PERIOD, good_return

PROJECTS = ["CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004", "CPCA-005", "CPCA-006", "CPCA-007"]


def _ingest(tmp_path, folder, db, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "ingest", str(folder), "--period", str(PERIOD),
         "--db", str(db), "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out")],
        cwd=tmp_path, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _files_logged(db) -> int:
    if not store_exists(db):
        return 0
    with Store(db, record_run=False) as store:  # (a reader: it waits for nothing)
        return store.db.execute("SELECT count(*) FROM files").fetchone()[0]


def assert_consistent(db) -> None:
    with Store(db, record_run=False) as store:
        if store.dialect == "sqlite":  # PostgreSQL checks its foreign keys as it goes
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        for row in store.db.execute("SELECT * FROM returns"):
            logged = store.db.execute("SELECT * FROM files WHERE return_id = ?", (row["id"],)).fetchall()
            assert [f["outcome"] for f in logged] == ["accepted"]
            name, content = store.archived(row["sha256"])  # checks the bytes against their hash
            assert name == row["file_name"] and content
            if row["archive_path"]:
                assert sha256_of(row["archive_path"]) == row["sha256"]
            assert store.milestones(row["id"], "this") and store.risks(row["id"])
        orphans = store.db.execute(
            "SELECT count(*) FROM milestones WHERE return_id NOT IN (SELECT id FROM returns)").fetchone()[0]
        assert orphans == 0
        assert store.db.execute(
            "SELECT count(*) FROM files WHERE outcome = 'accepted' AND return_id IS NULL").fetchone()[0] == 0


def test_killed_ingest_leaves_store_consistent_and_rerun_completes(tmp_path, store_url):
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    folder = tmp_path / "returns"
    folder.mkdir()
    for project in PROJECTS:
        good_return(folder, portfolio, project)
    db = store_url

    process = _ingest(tmp_path, folder, db, {SLOW_ENV: "0.4"})
    deadline = time.monotonic() + 120
    while _files_logged(db) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    stored = _files_logged(db)
    assert 3 <= stored < len(PROJECTS), "the kill should land mid-batch"
    assert_consistent(db)
    assert not (tmp_path / "out" / str(PERIOD) / "validation_report.xlsx").exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{p}_{PERIOD}_highlight.xlsx" for p in PROJECTS)

    rerun = _ingest(tmp_path, folder, db)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert (f"Accepted {len(PROJECTS) - stored}, superseded 0, rejected 0, duplicates skipped {stored}"
            in out.decode())
    assert_consistent(db)
    with Store(db) as store:
        assert [r["project_id"] for r in store.current_returns(PERIOD)] == PROJECTS
        assert len(store.files(PERIOD)) == len(PROJECTS)
        killed, completed = store.runs(command="ingest")  # the killed run shows as unfinished
        assert killed["ended_at"] is None and killed["outcome"] == "running"
        assert completed["outcome"] == "ok" and completed["counts"]["accepted"] == len(PROJECTS) - stored
