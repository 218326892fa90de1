"""A store that cannot be used: one clear `Error:` line, exit 2, no traceback, nothing half-written.

Unreachable server, refused login, missing database, a store written by a newer pmo, a
read-only store and a full disk, as `pmo ingest` meets them. Passwords never appear in
what pmo prints. The full disk is simulated with a file-size limit on the run
(RLIMIT_FSIZE: the kernel refuses to let the store grow, as a full disk would).
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit


from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT
from etl.cycle.portfolio import load_portfolio
from etl.store.db import SCHEMA_VERSION, Store
from helpers_pg import OFFICER_PASSWORD
from helpers_returns import PERIOD, good_return


def pmo(tmp_path: Path, *args: str, env: dict | None = None, preexec=None, user: list[str] | None = None):
    return subprocess.run([*(user or []), sys.executable, str(ROOT / "cli.py"), *args], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, preexec_fn=preexec)


def ingest(tmp_path: Path, db, folder: Path | None = None, **kwargs):
    if folder is None:
        folder = tmp_path / "returns"
        if not folder.exists():
            folder.mkdir()
            good_return(folder, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-001")
    return pmo(tmp_path, "ingest", str(folder), "--period", str(PERIOD), "--db", str(db),
               "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out"), **kwargs)


def assert_one_error_line(result, *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for text in expected:
        assert text in errors[0], errors[0]


def test_unreachable_server(tmp_path):
    result = ingest(tmp_path, "postgresql://pmo@/pmo?host=/nonexistent/socket/dir")
    assert_one_error_line(result, "cannot reach the PostgreSQL server", "postgresql://pmo@/pmo")


def test_wrong_password_in_the_url_or_the_environment_is_refused_and_never_shown(tmp_path, pg_cluster):
    url = pg_cluster.new_database(owner="officer")
    wrong = "pw-WRONG-5e1f-marker"
    result = ingest(tmp_path, url.replace(OFFICER_PASSWORD, wrong))
    assert_one_error_line(result, "refused the login", "PGPASSWORD")
    assert wrong not in result.stdout + result.stderr

    bare = url.replace(f":{OFFICER_PASSWORD}", "")  # password from PGPASSWORD instead
    result = ingest(tmp_path, bare, env={"PGPASSWORD": wrong})
    assert_one_error_line(result, "refused the login")
    assert wrong not in result.stdout + result.stderr

    result = ingest(tmp_path, bare, env={"PGPASSWORD": OFFICER_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert OFFICER_PASSWORD not in result.stdout + result.stderr
    log = pmo(tmp_path, "log", "--db", url)
    assert log.returncode == 0 and "ingest 2023-09: ok" in log.stdout and OFFICER_PASSWORD not in log.stdout
    with Store(url, record_run=False) as store:
        [run] = store.runs()
        assert OFFICER_PASSWORD not in str(run)


def test_missing_database(tmp_path, pg_cluster):
    result = ingest(tmp_path, pg_cluster.url("no_such_office"))
    assert_one_error_line(result, "no such database", "no_such_office")


def test_a_store_written_by_a_newer_pmo_is_left_alone(tmp_path, store_url):
    with Store(store_url, record_run=False) as store, store.transaction():
        store.backend.set_schema_version(SCHEMA_VERSION + 5)
    result = ingest(tmp_path, store_url)
    assert_one_error_line(result, "written by a newer pmo", f"schema {SCHEMA_VERSION + 5}")
    # Nothing was written: no run, no file logged.
    if isinstance(store_url, Path):
        with sqlite3.connect(store_url) as db:
            assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    else:
        import psycopg

        with psycopg.connect(store_url) as db:
            assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_a_read_only_sqlite_store(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "pmo.db"
    with Store(db, record_run=False):
        pass
    returns = tmp_path / "returns"
    returns.mkdir()
    good_return(returns, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-001")
    for path in folder.iterdir():
        os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    # Root may write anything: the run gives up that power (CAP_DAC_OVERRIDE), as an officer
    # without write access to the shared folder would be.
    user = ["setpriv", "--bounding-set=-dac_override,-fowner", "--"] if os.geteuid() == 0 else []
    try:
        result = pmo(tmp_path, "ingest", str(returns), "--period", str(PERIOD), "--db", str(db),
                     "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out"), user=user)
    finally:
        os.chmod(folder, 0o755)
    assert_one_error_line(result, str(db))
    assert "read-only" in result.stderr or "cannot be opened" in result.stderr
    with Store(db, record_run=False) as store:
        assert store.files() == [] and store.runs() == []


def test_a_read_only_login_on_the_server(tmp_path, pg_cluster):
    url = pg_cluster.new_database()
    with Store(url, record_run=False):
        pass
    name = urlsplit(url).path.lstrip("/")
    pg_cluster.admin("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') THEN "
                     "CREATE ROLE reader LOGIN; END IF; END $$")
    pg_cluster.admin("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", database=name)
    pg_cluster.admin("GRANT USAGE ON SCHEMA public TO reader", database=name)
    # The test server lets `reader` in over its socket without a password (trust), as `pmo`.
    result = ingest(tmp_path, url.replace("postgresql://pmo@", "postgresql://reader@"))
    assert_one_error_line(result, "may not write to the store")
    with Store(url, record_run=False) as store:
        assert store.files() == [] and store.runs() == []


def test_a_full_disk_stops_with_one_line_and_leaves_the_store_whole(tmp_path):
    db = tmp_path / "pmo.db"
    with Store(db, record_run=False):
        pass
    folder = tmp_path / "returns"
    folder.mkdir()
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    for project in ("CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004", "CPCA-005"):
        good_return(folder, portfolio, project)
    limit = max(db.stat().st_size, (tmp_path / "pmo.db-wal").stat().st_size if (tmp_path / "pmo.db-wal").exists()
                else 0) + 40_000

    def small_disk():  # every file this run writes may grow only this far: as if the disk filled up
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = ingest(tmp_path, db, folder, preexec=small_disk)
    assert_one_error_line(result)
    assert "full" in result.stderr or "File too large" in result.stderr
    with Store(db, record_run=False) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for ret in store.current_returns():
            [logged] = [f for f in store.files() if f["return_id"] == ret["id"]]
            assert logged["outcome"] == "accepted" and store.milestones(ret["id"], "this")
    rerun = ingest(tmp_path, db, folder)
    assert rerun.returncode == 0, rerun.stderr
    with Store(db, record_run=False) as store:
        assert len(store.current_returns()) == 5
