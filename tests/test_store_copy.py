"""Moving an office's history: `pmo db copy` between SQLite and PostgreSQL, and `pmo archive get`.

An office's SQLite store (returns ingested by `pmo ingest`, a register built) is copied to
a PostgreSQL server and back; every row and every archived file must arrive, a target
holding data is refused unless `--merge`, and after a copy the server store goes on
working (new returns get new ids).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT
from etl.cycle.portfolio import load_portfolio
from etl.store.db import TABLES, Store
from helpers_returns import PERIOD, good_answers, good_return, with_values


def pmo(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PMO_OFFICER": "alice"})


def ingest(cwd: Path, folder: Path, db) -> subprocess.CompletedProcess:
    result = pmo(cwd, "ingest", str(folder), "--period", str(PERIOD), "--db", str(db), "--inputs", str(ROOT / "inputs"),
                 "--outputs", str(cwd / "out"))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def portfolio():
    return load_portfolio(EXAMPLE_PORTFOLIO_XLSX)


@pytest.fixture
def office(tmp_path, portfolio) -> Path:
    """An SQLite store with three returns, a register built, as an office would have it."""
    folder = tmp_path / "returns"
    folder.mkdir()
    for project in ("CPCA-001", "CPCA-002", "CPCA-003"):
        good_return(folder, portfolio, project)
    db = tmp_path / "office" / "pmo.db"
    ingest(tmp_path, folder, db)
    built = pmo(tmp_path, "register", "--period", str(PERIOD), "--as-of", "2023-10-20", "--db", str(db),
                "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    return db


def counts(location) -> dict[str, int]:
    with Store(location, record_run=False) as store:
        return {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_archive_get_returns_the_exact_bytes_on_either_backend(tmp_path, store_url, portfolio):
    folder = tmp_path / "returns"
    folder.mkdir()
    path = good_return(folder, portfolio, "CPCA-004")
    ingest(tmp_path, folder, store_url)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    os.remove(path)  # the officer's copy is gone; the archive still has it

    got = pmo(tmp_path, "archive", "get", sha, "-o", str(tmp_path / "back.xlsx"), "--db", str(store_url))

    assert got.returncode == 0, got.stderr
    assert hashlib.sha256((tmp_path / "back.xlsx").read_bytes()).hexdigest() == sha
    assert path.name in got.stdout
    missing = pmo(tmp_path, "archive", "get", "0" * 64, "-o", str(tmp_path / "x.xlsx"), "--db", str(store_url))
    assert missing.returncode == 2 and "no archived return with this SHA-256" in missing.stderr
    assert not (tmp_path / "x.xlsx").exists()

    # A damaged archive is said to be damaged, never handed out.
    with Store(store_url, record_run=False) as store:
        if store.archive_dir is not None:
            [kept] = (store.archive_dir / sha).iterdir()
            kept.write_bytes(b"not the return")
        else:
            with store.transaction() as db:
                db.execute("UPDATE archive SET content = ? WHERE sha256 = ?", (b"not the return", sha))
    damaged = pmo(tmp_path, "archive", "get", sha, "-o", str(tmp_path / "y.xlsx"), "--db", str(store_url))
    assert damaged.returncode == 2 and "is damaged" in damaged.stderr and not (tmp_path / "y.xlsx").exists()


def test_copy_sqlite_to_postgresql_and_back_keeps_every_row_and_file(tmp_path, office, pg_cluster, portfolio):
    url = pg_cluster.new_database()
    before = counts(office)

    copied = pmo(tmp_path, "db", "copy", str(office), url)

    assert copied.returncode == 0, copied.stderr
    assert "Archived returns checked by hash: 3" in copied.stdout
    after = counts(url)
    assert {t: n for t, n in after.items() if t not in ("runs", "archive")} == {
        t: n for t, n in before.items() if t not in ("runs", "archive")}
    assert after["runs"] == before["runs"] + 1 and after["archive"] == 3  # + the copy's own run
    with Store(office, record_run=False) as source, Store(url, record_run=False) as target:
        assert target.current_returns() == [
            {**r, "archive_path": None} for r in source.current_returns()]  # the files are in the database
        for sha in source.archived_hashes():
            assert target.archived(sha) == source.archived(sha)
        assert [r["command"] for r in target.runs()] == ["ingest", "register", "db copy"]

    refused = pmo(tmp_path, "db", "copy", str(office), url)
    assert refused.returncode == 2 and "already holds data" in refused.stderr and "--merge" in refused.stderr
    assert counts(url) == after

    # The server store goes on: a new return gets a new id after the copied ones.
    more = tmp_path / "more"
    more.mkdir()
    good_return(more, portfolio, "CPCA-005")
    ingest(tmp_path, more, url)
    with Store(url, record_run=False) as store:
        [new] = store.returns_for("CPCA-005")
        assert new["id"] > max(r["id"] for r in store.current_returns() if r["project_id"] != "CPCA-005")

    back = tmp_path / "back" / "pmo.db"
    returned = pmo(tmp_path, "db", "copy", url, str(back))
    assert returned.returncode == 0, returned.stderr
    assert {t: n for t, n in counts(back).items() if t not in ("runs", "archive")} == {
        t: n for t, n in counts(url).items() if t not in ("runs", "archive")}
    with Store(back, record_run=False) as store:
        assert len(list((back.parent / "archive").iterdir())) == 4  # SQLite: the archive folder again
        for ret in store.current_returns():
            assert Path(ret["archive_path"]).parent.parent == back.parent / "archive"
            assert store.archived(ret["sha256"])[0] == ret["file_name"]


def test_merge_adds_another_stores_history_and_the_latest_return_stays_current(tmp_path, office, pg_cluster, portfolio):
    url = pg_cluster.new_database()
    assert pmo(tmp_path, "db", "copy", str(office), url).returncode == 0
    # A colleague's own SQLite store: a later resubmission for CPCA-001, and CPCA-006.
    other_folder = tmp_path / "other-returns"
    other_folder.mkdir()
    good_return(other_folder, portfolio, "CPCA-001", answers=with_values(good_answers("Full"), rag_this_period="Red"),
                received=dt.datetime(2023, 10, 12, 16, 0))
    good_return(other_folder, portfolio, "CPCA-006")
    other = tmp_path / "colleague" / "pmo.db"
    ingest(tmp_path, other_folder, other)

    merged = pmo(tmp_path, "db", "copy", str(other), url, "--merge")

    assert merged.returncode == 0, merged.stderr
    assert "Merged" in merged.stdout
    with Store(url, record_run=False) as store:
        current = {r["project_id"]: r for r in store.current_returns(PERIOD)}
        assert sorted(current) == ["CPCA-001", "CPCA-002", "CPCA-003", "CPCA-006"]
        assert current["CPCA-001"]["rag_this_period"] == "Red"  # received later: current
        [older] = [r for r in store.returns_for("CPCA-001", PERIOD) if r["superseded_by"] is not None]
        assert older["superseded_by"] == current["CPCA-001"]["id"]
        assert len(store.files(PERIOD)) == 5
        for ret in store.returns_for("CPCA-006"):
            assert store.milestones(ret["id"], "this") and store.archived(ret["sha256"]) is not None
    again = pmo(tmp_path, "db", "copy", str(other), url, "--merge")  # merging twice adds nothing
    assert again.returncode == 0, again.stderr
    with Store(url, record_run=False) as store:
        assert len(store.files(PERIOD)) == 5 and len(store.returns_for("CPCA-001", PERIOD)) == 2
