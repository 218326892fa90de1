"""The bad-input corpus through `pmo ingest`: every file gets its own clear message, nothing is lost.

One batch folder holds the whole corpus (`tests/helpers_returns.CASES`) plus good returns,
one of them in a sub-folder; it is ingested once with `pmo ingest` and each case is checked
in the validation report as a PMO officer would read it: the file's outcome, the message,
the field and the cell. The folder is checked afterwards (every file still there, byte for
byte), and the store (one log row per file offered; a second run changes nothing). Then
each case is ingested again on its own, so one file's problem cannot hide behind another's.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.contracts import fields as F
from etl.config import Settings
from etl.cycle.portfolio import load_portfolio
from etl.cycle.ingest import file_identity
from etl.store.db import Store
from helpers_returns import (
    ACCEPTED, CASES, DUPLICATE, PERIOD, REJECTED, SKIPPED, SUPERSEDES, Env, Case, good_return, name_cell,
)

#: The batch's size limit (pmo.toml): the oversized case is 3 MB, the zip bomb 260 KB on disk.
LIMIT_MB = 2
GOOD = "CPCA-020"
GOOD_BELOW = "CPCA-002"  # a good return in a sub-folder (the folder "and below" is read)


def label_of(name: str) -> str:
    """How the report names a field: its label on the template (`Table label: Column` in a table)."""
    if ":" in name:
        table, key = name.split(":")
        spec = F.TABLE_BY_NAME[table]
        return f"{spec.label}: {next(header for k, header, _ in spec.columns if k == key)}"
    return F.FIELD_BY_NAME[name].label


def make_inputs(folder: Path, max_mb: float = LIMIT_MB) -> Path:
    """An inputs folder: the example portfolio and an office setting for the size limit."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE_PORTFOLIO_XLSX, folder / "portfolio.xlsx")
    (folder / "pmo.toml").write_text(f"max_return_mb = {max_mb}\n")
    return folder


def ingest(returns: Path, inputs: Path, db: Path, outputs: Path):
    return CliRunner().invoke(cli.main, ["ingest", str(returns), "--period", str(PERIOD), "--db", str(db),
                                         "--inputs", str(inputs), "--outputs", str(outputs)])


def report_rows(outputs: Path) -> tuple[list[dict], list[dict]]:
    """The validation report's Problems and Files sheets, as rows keyed by header."""
    wb = openpyxl.load_workbook(outputs / str(PERIOD) / "validation_report.xlsx", read_only=True)
    sheets = []
    for title in ("Problems", "Files"):
        rows = list(wb[title].iter_rows(values_only=True))
        sheets.append([dict(zip(rows[0], r)) for r in rows[1:]])
    wb.close()
    return sheets[0], sheets[1]


def regular_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Batch:
    """The corpus in one folder, ingested once."""

    def __init__(self, root: Path):
        self.inputs = make_inputs(root / "inputs")
        self.returns = root / "returns"
        self.returns.mkdir()
        self.db, self.outputs = root / "pmo.db", root / "outputs"
        portfolio = load_portfolio(self.inputs / "portfolio.xlsx")
        env = Env(self.returns, portfolio, Settings(max_return_mb=LIMIT_MB))
        self.files: dict[str, Path] = {case.name: case.build(env, case.project) for case in CASES}
        self.good = good_return(self.returns, portfolio, GOOD)
        below = self.returns / "forwarded by sponsor"
        below.mkdir()
        self.good_below = good_return(below, portfolio, GOOD_BELOW)
        # Where each problem must be reported, read from the file itself before ingest.
        self.cells = {case.name: name_cell(self.files[case.name], case.cell_of) for case in CASES if case.cell_of}
        self.before = regular_files(self.returns)
        self.result = ingest(self.returns, self.inputs, self.db, self.outputs)
        self.problems, self.report_files = report_rows(self.outputs)

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.returns))

    def file_row(self, path: Path) -> dict:
        rows = [r for r in self.report_files if r["File"] == self.rel(path)]
        assert len(rows) == 1, f"{self.rel(path)} is listed {len(rows)} times in the Files sheet"
        return rows[0]

    def problems_of(self, path: Path) -> list[dict]:
        return [r for r in self.problems if r["File"] == self.rel(path)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    return Batch(tmp_path_factory.mktemp("corpus"))


def test_corpus_is_big_enough_and_says_what_each_case_simulates():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.simulates for c in CASES), [c.name for c in CASES if not c.simulates]
    assert sum(c.outcome == REJECTED for c in CASES) >= 20


def test_batch_exits_1_and_summarises(batch):
    assert batch.result.exit_code == 1, batch.result.output
    assert "Traceback" not in batch.result.output
    rejected = sum(c.outcome == REJECTED for c in CASES)
    assert f"rejected {rejected}" in batch.result.output
    assert "validation_report.xlsx" in batch.result.output


def test_good_returns_are_accepted_and_stored(batch):
    for path, project in ((batch.good, GOOD), (batch.good_below, GOOD_BELOW)):
        assert batch.file_row(path)["Outcome"] == ACCEPTED
        assert batch.problems_of(path) == []
    with Store(batch.db) as store:
        current = {r["project_id"]: r for r in store.current_returns(PERIOD)}
    assert current[GOOD]["rag_this_period"] == "Green"
    assert current[GOOD]["budget_approved"] == 2_500_000
    assert current[GOOD_BELOW]["pm_update"].startswith("Detailed design signed off")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_in_batch(batch, case: Case):
    path = batch.files[case.name]
    assert batch.file_row(path)["Outcome"] == case.outcome
    problems = batch.problems_of(path)
    if case.outcome == REJECTED:
        assert any(p["Severity"].lower() == "error" for p in problems), problems
    if case.fragment is None:
        if case.outcome in (ACCEPTED, SUPERSEDES):
            assert [p for p in problems if p["Severity"].lower() == "error"] == []
        return
    matching = [p for p in problems if case.fragment.lower() in (p["Problem"] or "").lower()]
    assert matching, f"{case.name}: no problem mentions {case.fragment!r}: {[p['Problem'] for p in problems]}"
    problem = matching[0]
    if case.field:
        assert problem["Field"] == label_of(case.field)
    if case.cell_of:
        assert problem["Cell"] == batch.cells[case.name]
        assert problem["Sheet"] == F.SHEET
    if case.severity:
        assert problem["Severity"].lower() == case.severity
    assert problem["Code"] == case.code, f"{case.name}: code {problem['Code']!r}, expected {case.code!r}"
    if case.outcome != SKIPPED:
        assert problem["How to fix"], f"{case.name}: no advice on how to fix it"


def test_inserted_rows_moved_the_reported_cell(batch):
    """The partner inserted two rows above the status: the RAG is reported where it now is."""
    assert batch.cells["inserted_rows_and_bad_rag"] == "C25"
    assert batch.cells["rag_outside_scale"] == "C23"  # the same project layout, rows not inserted


def test_every_file_is_still_there_byte_for_byte(batch):
    assert regular_files(batch.returns) == batch.before
    assert batch.files["named_pipe"].is_fifo()


def test_store_logs_each_file_offered_once(batch):
    """Every regular file's bytes are logged once (a duplicate copy is the same bytes); a file over
    the size limit by a sampled identity (it is never hashed whole)."""
    with Store(batch.db) as store:
        logged = store.files(PERIOD)
    limit = LIMIT_MB * 1024 * 1024
    offered = {file_identity(p, p.stat().st_size, limit): p for p in batch.returns.rglob("*") if p.is_file()}
    assert sum(key.startswith("sampled:") for key in offered) == 1  # the 3 MB return
    assert sorted(r["sha256"] for r in logged) == sorted(offered)
    outcome = {"accepted": (ACCEPTED, SUPERSEDES), "rejected": (REJECTED,), "skipped": (SKIPPED,)}
    for row in logged:
        assert batch.file_row(offered[row["sha256"]])["Outcome"] in outcome[row["outcome"]] or (
            batch.file_row(offered[row["sha256"]])["Outcome"] == DUPLICATE), row["name"]
    rejected = [r for r in logged if r["outcome"] == "rejected"]
    assert len(rejected) == sum(c.outcome == REJECTED for c in CASES)
    assert all(r["problems"] for r in rejected)


def test_store_keeps_each_problem_with_its_code(batch):
    """The store's log holds the same stable code as the report, so history can be filtered by kind."""
    with Store(batch.db) as store:
        logged = {r["name"]: r for r in store.files(PERIOD)}
    for case in CASES:
        if case.code is None or case.outcome != REJECTED:
            continue
        row = logged[batch.files[case.name].relative_to(batch.returns).as_posix()]
        assert case.code in {p["code"] for p in row["problems"]}, (case.name, row["problems"])


def test_valid_but_unusual_returns_are_stored_with_clean_values(batch):
    with Store(batch.db) as store:
        current = {r["project_id"]: r for r in store.current_returns(PERIOD)}
        messy = current["CPCA-028"]
        assert messy["rag_this_period"] == "Amber"
        assert (messy["budget_approved"], messy["spend_to_date"], messy["forecast_outturn"]) == (1_200_000, 250_000, 1_200_000)
        assert messy["forecast_completion_date"] == f"{PERIOD.year + 2}-03-31"
        assert messy["next_key_milestone_date"] == f"{PERIOD.year + 1}-03-31"
        assert messy["completed_by"] == "Sam Patel"
        assert [r["rating"] for r in store.risks(messy["id"])] == ["High"]
        assert current["CPCA-054"]["budget_approved"] == 1_200_000  # typed as =1000000+200000
        assert current["CPCA-061"]["budget_approved"] == 1_200_000  # typed as the text "1,200,000"
        assert current["CPCA-007"]["rag_this_period"] == "Amber"  # the RAG cell was moved
        inserted = current["CPCA-006"]
        assert [m["milestone"] for m in store.milestones(inserted["id"], "this")] == [
            "Detailed design approved", "Contractor mobilised"]
        assert "CPCA-999" not in current and "CPCA-046" not in current
        # Money words read alike; Not rated keeps its reason and explanation.
        words = current["CPCA-037"]
        assert (words["budget_approved"], words["spend_to_date"], words["forecast_outturn"]) == (4_600_000, 1_200_000, 4_700_000)
        not_rated = current["CPCA-041"]
        assert (not_rated["rag_this_period"], not_rated["not_rated_reason"], not_rated["not_rated_note"]) == (
            "Not rated", "On hold", "Paused by the Board until the funding bid is decided.")
        for rejected in ("CPCA-022", "CPCA-023", "CPCA-025", "CPCA-031", "CPCA-040"):
            assert rejected not in current


def test_a_second_run_changes_nothing(batch, tmp_path):
    with Store(batch.db) as store:
        before = (store.files(), store.current_returns())
    again = ingest(batch.returns, batch.inputs, batch.db, tmp_path / "outputs")
    assert again.exit_code == 1
    with Store(batch.db) as store:
        assert (store.files(), store.current_returns()) == before
    assert regular_files(batch.returns) == batch.before


# ----------------------------------------------------------------------- each case on its own


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_on_its_own(case: Case, tmp_path):
    inputs = make_inputs(tmp_path / "inputs")
    returns = tmp_path / "returns"
    returns.mkdir()
    env = Env(returns, load_portfolio(inputs / "portfolio.xlsx"), Settings(max_return_mb=LIMIT_MB))
    path = case.build(env, case.project)
    before = regular_files(returns)
    result = ingest(returns, inputs, tmp_path / "pmo.db", tmp_path / "outputs")
    assert result.exit_code == (1 if case.outcome == REJECTED else 0), result.output
    problems, files = report_rows(tmp_path / "outputs")
    row = next(r for r in files if r["File"] == path.name)
    assert row["Outcome"] == case.outcome
    if case.fragment:
        assert any(case.fragment.lower() in (p["Problem"] or "").lower() for p in problems if p["File"] == path.name)
    with Store(tmp_path / "pmo.db") as store:
        stored = {r["project_id"] for r in store.current_returns(PERIOD)}
    if case.outcome == REJECTED:
        assert stored == set()
        assert path.name in result.output  # the CLI names the rejected file
    elif case.outcome in (ACCEPTED, DUPLICATE):
        assert stored == {case.project}
    elif case.outcome == SKIPPED:
        assert stored == set()
    assert regular_files(returns) == before


def test_size_limit_is_the_office_setting(tmp_path):
    """The same ordinary return is rejected once the office sets a limit below its size."""
    inputs = make_inputs(tmp_path / "inputs", max_mb=0.01)
    returns = tmp_path / "returns"
    returns.mkdir()
    path = good_return(returns, load_portfolio(inputs / "portfolio.xlsx"), GOOD)
    assert path.stat().st_size > 0.01 * 1024 * 1024
    result = ingest(returns, inputs, tmp_path / "pmo.db", tmp_path / "outputs")
    assert result.exit_code == 1
    problems, _ = report_rows(tmp_path / "outputs")
    assert len(problems) == 1 and "over the 0.01 MB limit" in problems[0]["Problem"]


def test_received_time_is_the_day_the_return_arrived(tmp_path):
    inputs = make_inputs(tmp_path / "inputs")
    returns = tmp_path / "returns"
    returns.mkdir()
    good_return(returns, load_portfolio(inputs / "portfolio.xlsx"), GOOD, received=dt.datetime(2023, 10, 16, 14, 5))
    assert ingest(returns, inputs, tmp_path / "pmo.db", tmp_path / "outputs").exit_code == 0
    with Store(tmp_path / "pmo.db") as store:
        (stored,) = store.current_returns(PERIOD)
    received = dt.datetime.fromisoformat(stored["received_at"]).astimezone().replace(tzinfo=None)
    assert received == dt.datetime(2023, 10, 16, 14, 5)
