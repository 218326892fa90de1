"""What ingest leaves in the store, and what the next cycle builds from it.

The previous RAG in next period's templates comes from the returns ingested this period;
identical bytes are stored once; a return that arrives after a newer one for the same
project and period is kept, as superseded; warnings are logged with the file.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT, office_for
from etl.config import Settings
from etl.cycle.ingest import ingest_folder
from etl.cycle.portfolio import load_portfolio
from etl.store.db import Store
from helpers_returns import PERIOD, good_answers, good_return, with_values


@pytest.fixture(scope="module")
def portfolio():
    return load_portfolio(EXAMPLE_PORTFOLIO_XLSX)


def _ingest(tmp_path, folder, store_url, period=PERIOD):
    with Store(store_url) as store:
        return ingest_folder(folder, period, store, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), Settings())


def test_next_templates_carry_the_ingested_rag_as_previous(tmp_path, portfolio, store_url, backend):
    folder = tmp_path / "returns"
    folder.mkdir()
    good_return(folder, portfolio, "CPCA-001", answers=with_values(good_answers("Full"), rag_this_period="A/R"))
    common = ["--db", str(store_url), "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out")]
    runner = CliRunner()
    assert runner.invoke(cli.main, ["ingest", str(folder), "--period", str(PERIOD), *common]).exit_code == 0

    result = runner.invoke(cli.main, ["templates", "--period", str(PERIOD.shift(1)), *common])

    assert result.exit_code == 0, result.output
    path = tmp_path / "out" / str(PERIOD.shift(1)) / "templates" / f"CPCA-001_{PERIOD.shift(1)}_highlight.xlsx"
    book = load_workbook(path)
    (sheet, ref), = list(book.defined_names["rag_previous"].destinations)
    assert book[sheet][ref.replace("$", "")].value == "Amber/Red"
    other = load_workbook(path.with_name(f"CPCA-002_{PERIOD.shift(1)}_highlight.xlsx"))
    (sheet, ref), = list(other.defined_names["rag_previous"].destinations)
    assert other[sheet][ref.replace("$", "")].value is None  # no return ingested for CPCA-002


def test_identical_bytes_under_two_names_are_stored_once(tmp_path, portfolio, store_url, backend):
    folder = tmp_path / "returns"
    folder.mkdir()
    first = good_return(folder, portfolio, "CPCA-002")
    (folder / "sub").mkdir()
    shutil.copy2(first, folder / "sub" / "copy of return.xlsx")

    result = _ingest(tmp_path, folder, store_url)

    assert [o.name for o in result.accepted] == ["CPCA-002_2023-09_highlight.xlsx"]
    (copy,) = result.duplicates
    assert copy.name == "sub/copy of return.xlsx" and copy.project_id == "CPCA-002"
    assert copy.problems[0].message == "Identical to CPCA-002_2023-09_highlight.xlsx (accepted above); skipped."
    assert result.exit_code == 0
    with Store(store_url) as store:
        assert len(store.returns_for("CPCA-002")) == 1
        assert [f["name"] for f in store.files()] == ["CPCA-002_2023-09_highlight.xlsx"]
        assert len(store.archived_hashes()) == 1
    # SQLite keeps the archive in a folder beside the store; a server keeps it in its database.
    assert (tmp_path / "archive").exists() == (backend == "sqlite")


def test_an_older_return_arriving_later_is_kept_as_superseded(tmp_path, portfolio, store_url, backend):
    folder = tmp_path / "returns"
    folder.mkdir()
    good_return(folder, portfolio, "CPCA-003", answers=with_values(good_answers("Full"), rag_this_period="Green"),
                received=dt.datetime(2023, 10, 9, 14, 0))
    _ingest(tmp_path, folder, store_url)
    late = tmp_path / "late"
    late.mkdir()
    good_return(late, portfolio, "CPCA-003", answers=with_values(good_answers("Full"), rag_this_period="Red"),
                received=dt.datetime(2023, 10, 2, 9, 0))

    result = _ingest(tmp_path, late, store_url)

    (outcome,) = result.accepted
    assert any("received later" in p.message and p.severity == "warning" for p in outcome.problems)
    with Store(store_url) as store:
        assert [r["rag_this_period"] for r in store.current_returns(PERIOD)] == ["Green"]
        older = store.returns_for("CPCA-003", PERIOD)[0]
        assert older["rag_this_period"] == "Red" and older["superseded_by"] is not None
        logged = store.files(PERIOD)[-1]
        assert logged["outcome"] == "accepted"
        assert logged["problems"][0]["severity"] == "warning" and logged["problems"][0]["file"] == outcome.name


def test_store_is_created_with_wal_and_the_result_lists_match_the_report(tmp_path, portfolio, store_url, backend):
    folder = tmp_path / "returns"
    folder.mkdir()
    good_return(folder, portfolio, "CPCA-001")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not really")
    (folder / "blank.xlsx").write_bytes(b"")
    seen = []
    result = office_for(tmp_path / "out", store_url).ingest(folder, PERIOD, on_file=seen.append)
    if backend == "sqlite":
        with Store(store_url) as store:
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(p.name for p in seen) == ["CPCA-001_2023-09_highlight.xlsx", "blank.xlsx", "notes.docx"]
    assert [o.name for o in result.rejected] == ["blank.xlsx"] and result.exit_code == 1
    assert [o.name for o in result.skipped] == ["notes.docx"]
    assert result.report_path == tmp_path / "out" / str(PERIOD) / "validation_report.xlsx"
    assert {p.file for p in result.problems} == {"blank.xlsx", "notes.docx"}
    files = load_workbook(result.report_path)["Files"]
    assert [(r[0], r[2], r[3]) for r in files.iter_rows(min_row=2, values_only=True)] == [
        ("CPCA-001_2023-09_highlight.xlsx", "Accepted", 0), ("blank.xlsx", "Rejected", 1), ("notes.docx", "Skipped", 1),
    ]
