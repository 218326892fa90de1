"""Issue 15, hardening: faults that are not one bad return (those are the corpus in
tests/helpers_returns.py), each with the message the officer must get.

Files are made by pmo's own writers (templates, returns) and edited as the helpers in
`helpers_returns` say; a portfolio is the bundled example saved again with openpyxl after the
edit the test names.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.config import Settings
from etl.cycle.portfolio import load_portfolio
from etl.cycle.reader import read_return
from etl.errors import PortfolioError
from etl.files import FORMULA_STARTS, csv_safe, csv_unescaped, write_csv
from etl.terminal import terminal_safe
from helpers_returns import PERIOD, _answers, Env, error_cells_without_values, good_return, stray_cell, uncalculated_formula


def _portfolio_with_ids(tmp_path: Path, ids: dict[int, object], names: dict[int, str] | None = None,
                        formulas: dict[str, str] | None = None) -> Path:
    """The example portfolio with the Project ID (and Project Name) of some rows retyped by an
    officer (names as text, even when they start with `=`); `formulas` types formulas into cells,
    saved without results as openpyxl saves them (as a tool that does not calculate would)."""
    wb = openpyxl.load_workbook(EXAMPLE_PORTFOLIO_XLSX)
    ws = wb["Projects"]
    for row, value in ids.items():
        ws.cell(row=row, column=1, value=value)
    for row, value in (names or {}).items():
        cell = ws.cell(row=row, column=2, value=value)
        cell.data_type = "s"
    for ref, formula in (formulas or {}).items():
        ws[ref] = formula
    path = tmp_path / "portfolio.xlsx"
    wb.save(path)
    return path


def _run(*args: str):
    return CliRunner().invoke(cli.main, list(args))


# ----------------------------------------------------------------------------- item 1: IDs that clash


@pytest.mark.parametrize("first, second", [
    ("CPCA/001", "CPCA-001"),  # the same template file name once made file-safe
    (101, "101"),  # a number and the same text
    ("cpca-001", "CPCA-001"),  # the same file on a case-insensitive disk (Windows, macOS)
    (" CPCA-001", "CPCA-001 "),
])
def test_project_ids_that_clash_are_refused_naming_both_rows(tmp_path, first, second):
    path = _portfolio_with_ids(tmp_path, {2: first, 3: second})
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)
    by_row = {p.row: p for p in caught.value.problems if p.code in ("id_clash", "field_uniqueness")}
    assert {2, 3} <= set(by_row), caught.value.problems
    if by_row[2].code == "id_clash":
        assert "clashes with" in by_row[2].message and "row 3" in by_row[2].message
        assert "row 2" in by_row[3].message and by_row[2].cell == "A2"


def test_templates_stop_with_exit_2_on_clashing_ids(tmp_path):
    path = _portfolio_with_ids(tmp_path, {2: "CPCA/001", 3: "CPCA-001"})
    result = _run("templates", "--period", str(PERIOD), "--portfolio", str(path), "--inputs", str(tmp_path),
                  "--outputs", str(tmp_path / "out"), "--db", str(tmp_path / "pmo.db"))
    assert result.exit_code == 2, result.output
    assert "clashes with 'CPCA-001' on row 3" in result.output
    assert not (tmp_path / "out").exists()


def test_a_300_character_project_id_is_refused(tmp_path):
    path = _portfolio_with_ids(tmp_path, {2: "P" * 300})
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)
    (problem,) = [p for p in caught.value.problems if p.code == "id_too_long"]
    assert problem.row == 2 and "300 characters" in problem.message


# ----------------------------------------------------------------------------- item 2: CSV injection


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_cells_that_would_run_as_formulas_are_made_text(start):
    value = f"{start}cmd|' /C calc'!A0"
    assert csv_safe(value) == "'" + value
    assert csv_unescaped(csv_safe(value)) == value
    assert csv_unescaped(csv_safe("'quoted")) == "'quoted"
    assert csv_safe("CPCA-001") == "CPCA-001"


def test_distribution_list_carries_no_live_formula_and_send_reads_the_real_name(tmp_path):
    """A project name typed as `=HYPERLINK(...)` or `=cmd|...` on the portfolio: distribution.csv
    shows it as text in Excel/LibreOffice (a leading '), and `pmo send` still mails the real name."""
    evil = {2: "=cmd|' /C calc'!A0", 3: '=HYPERLINK("http://example.invalid","Click")', 4: "+1+1", 5: "@SUM(1)",
            6: "-2+3", 7: "\tTabbed"}
    path = _portfolio_with_ids(tmp_path, {}, names=evil)
    out = tmp_path / "out"
    result = _run("templates", "--period", str(PERIOD), "--portfolio", str(path), "--inputs", str(tmp_path),
                  "--outputs", str(out), "--db", str(tmp_path / "pmo.db"))
    assert result.exit_code == 0, result.output
    text = (out / str(PERIOD) / "distribution.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], "a cell would run as a formula"
    names = [row["Project Name"] for row in csv.DictReader(io.StringIO(text))]
    assert "'=cmd|' /C calc'!A0" in names
    sent = _run("send", "--period", str(PERIOD), "--inputs", str(tmp_path), "--outputs", str(out),
                "--db", str(tmp_path / "pmo.db"), "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert "=cmd|' /C calc'!A0" in sent.output and "'=cmd" not in sent.output


def test_write_csv_is_the_one_writer(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["A", "=B"], [["=1+1", "ok"]])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))) == [["A", "'=B"], ["'=1+1", "ok"]]


# ----------------------------------------------------------------------------- item 3: terminal control


def test_terminal_safe_shows_controls_as_visible_escapes():
    assert terminal_safe("ok\x1b[2K\rAll clear\u202e\x07\n") == "ok\\x1b[2K\\rAll clear\\u202e\\x07\\n"
    assert terminal_safe("line 1\nline 2", keep_newlines=True) == "line 1\nline 2"
    assert terminal_safe(b"bad \xff name".decode("utf-8", "surrogateescape")) == "bad \\udcff name"


def test_ingest_output_cannot_be_forged_by_a_return(tmp_path):
    """A RAG cell holding ANSI escapes and a carriage return, and a file name with them, cannot
    erase the "Rejected:" lines: the output has no escape character, and the text shows them."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "portfolio.xlsx").write_bytes(EXAMPLE_PORTFOLIO_XLSX.read_bytes())
    returns = tmp_path / "returns"
    returns.mkdir()
    env = Env(returns, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), Settings())
    forged = "\x1b[1A\x1b[2K\rAccepted 1, rejected 0"
    good_return(returns, env.portfolio, "CPCA-020", answers=_answers(env, "CPCA-020", rag_this_period=forged),
                name="CPCA-020\x1b[2K\r_highlight.xlsx")
    result = _run("ingest", str(returns), "--period", str(PERIOD), "--inputs", str(inputs),
                  "--outputs", str(tmp_path / "out"), "--db", str(tmp_path / "pmo.db"))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\r" not in result.output
    assert "Rejected: CPCA-020\\x1b[2K\\r_highlight.xlsx" in result.output
    assert "\\x1b[1A\\x1b[2K\\rAccepted 1, rejected 0" in result.output


# ----------------------------------------------------------------------------- items 5, 6: bombs and hangs


def test_a_stray_far_cell_costs_no_more_than_the_file_holds(tmp_path):
    """XFD1048576 would be a 17-billion-cell grid for a whole-sheet reader; read by name it is nothing."""
    import resource

    path = stray_cell(good_return(tmp_path, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-020"), "XFD1048576")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    raw = read_return(path, path.read_bytes())
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: under 200 MB more
    assert raw.fields["rag_this_period"].value == "Green"


def test_error_cells_without_saved_values_are_read_in_linear_time(tmp_path):
    """The crafted worst case of issue 15 item 6: 60,000 error cells with no cached value (a file
    well within the size limit) plus one in a field. Generous bound: a few seconds on 2 cores."""
    path = uncalculated_formula(good_return(tmp_path, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), "CPCA-020"),
                                "spend_to_date", error=True)
    path = error_cells_without_values(path, 60_000)
    assert path.stat().st_size < 2 * 1024 * 1024
    started = time.perf_counter()
    raw = read_return(path, path.read_bytes())
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert raw.fields["spend_to_date"].value == ""  # a formula saved without its result


# ----------------------------------------------------------------------------- item 16: misleading messages


def test_a_portfolio_formula_without_a_saved_value_is_reported_as_such_not_as_blank(tmp_path):
    path = _portfolio_with_ids(tmp_path, {}, formulas={"B4": '=CONCATENATE("Ely ","Bypass")'})
    result = _run("templates", "--period", str(PERIOD), "--portfolio", str(path), "--inputs", str(tmp_path),
                  "--outputs", str(tmp_path / "out"), "--db", str(tmp_path / "pmo.db"))
    assert result.exit_code == 2
    assert "cell B4: The cell holds the formula =CONCATENATE" in result.output and "no saved result" in result.output
    assert "blank" not in result.output.replace("(it is not blank)", "")
