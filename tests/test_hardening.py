"""Issue 15, hardening: faults that are not one bad return (those are the corpus in
tests/helpers_returns.py), each with the message the officer must get.

Files are made by pmo's own writers (templates, returns) and edited as the helpers in
`helpers_returns` say; a portfolio is the bundled example saved again with openpyxl after the
edit the test names.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from etl.errors import ConfigError, PortfolioError
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


def test_plain_numbers_stay_numbers_but_sums_do_not():
    """Open data must stay numeric: `-5` and `1.5e3` are data; `-2+3` would be worked out."""
    assert [csv_safe(v) for v in ("-5", "+1.5e3", ".5", -5.0)] == ["-5", "+1.5e3", ".5", "-5.0"]
    assert [csv_safe(v) for v in ("-2+3", "+A1", "-", "1+1")] == ["'-2+3", "'+A1", "'-", "1+1"]


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


def test_a_duplicated_column_header_in_an_officers_table_is_reported_not_silently_ignored(tmp_path):
    wb = openpyxl.load_workbook(EXAMPLE_PORTFOLIO_XLSX)
    ws = wb["Projects"]
    extra = ws.max_column + 1
    ws.cell(row=1, column=extra, value="Stage")  # an officer pasted a second Stage column at the end
    ws.cell(row=2, column=extra, value="Closed")
    path = tmp_path / "portfolio.xlsx"
    wb.save(path)
    with pytest.raises(ConfigError) as caught:
        load_portfolio(path)
    message = str(caught.value)
    assert "the same column twice: 'Stage' (columns G and " in message and "delete or rename one" in message


# ----------------------------------------------------------------------------- ingest faults (items 7, 9, 13, 15)


class Folder:
    """An inputs folder (the example portfolio), a returns folder, outputs and a store, in `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.inputs = root / "inputs"
        self.inputs.mkdir(parents=True, exist_ok=True)
        (self.inputs / "portfolio.xlsx").write_bytes(EXAMPLE_PORTFOLIO_XLSX.read_bytes())
        self.returns = root / "returns"
        self.returns.mkdir(exist_ok=True)
        self.outputs, self.db = root / "out", root / "pmo.db"
        self.env = Env(self.returns, load_portfolio(EXAMPLE_PORTFOLIO_XLSX), Settings())

    def good(self, project: str = "CPCA-020", folder: Path | None = None, **kw) -> Path:
        return good_return(folder or self.returns, self.env.portfolio, project, **kw)

    def ingest(self, folder: Path | None = None, outputs: Path | None = None):
        return _run("ingest", str(folder or self.returns), "--period", str(PERIOD), "--inputs", str(self.inputs),
                    "--outputs", str(outputs or self.outputs), "--db", str(self.db))

    def report(self, name: str = "validation_report.xlsx") -> dict[str, list[dict]]:
        book = openpyxl.load_workbook(self.outputs / str(PERIOD) / name, read_only=True)
        sheets = {}
        for title in ("Problems", "Files"):
            rows = list(book[title].iter_rows(values_only=True))
            sheets[title] = [dict(zip(rows[0], r)) for r in rows[1:]]
        book.close()
        return sheets


@pytest.fixture
def office(tmp_path) -> Folder:
    return Folder(tmp_path)


def test_names_and_permissions_are_reported_per_entry_and_the_batch_goes_on(office, monkeypatch):
    """A name that is not UTF-8 (a .pdf and a return), an unreadable file, an unreadable sub-folder
    and a folder nested 1,100 deep: each is reported for itself and the good returns are accepted.
    Tests run as root, who can read anything, so unreadability is simulated by making `read_bytes`
    and `iterdir` raise PermissionError for those paths (monkeypatch), as the OS would."""
    import errno
    import os

    top = office.good("CPCA-020")
    raw = os.fsencode(office.returns)
    for name in (b"scan \xff\xfe.pdf", b"CPCA-005 \xff.xlsx"):
        with open(raw + b"/" + name, "wb") as handle:
            handle.write(b"%PDF-1.4\n" if name.endswith(b".pdf") else top.read_bytes())
    locked = office.good("CPCA-006", name="locked.xlsx")
    private = office.returns / "private"
    private.mkdir()
    office.good("CPCA-007", folder=private)
    deep = office.returns
    for _ in range(1100):  # one level at a time: mkdir(parents=True) itself recurses
        deep = deep / "d"
        deep.mkdir()
    bottom = office.good("CPCA-002", folder=deep)

    real_read, real_iterdir = Path.read_bytes, Path.iterdir

    def read_bytes(self):
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    def iterdir(self):
        if self == private:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "iterdir", iterdir)
    try:
        result = office.ingest()
    finally:
        monkeypatch.undo()
        # Remove the nest bottom-up: shutil.rmtree (pytest's clean-up) recurses once per level.
        while deep != office.returns:
            for child in deep.iterdir():
                child.unlink()
            deep.rmdir()
            deep = deep.parent
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    files = {r["File"]: r for r in office.report()["Files"]}
    problems = office.report()["Problems"]
    assert files[top.name]["Outcome"] == "Accepted"
    assert files["/".join(["d"] * 1100 + [bottom.name])]["Outcome"] == "Accepted"
    assert files["scan \ufffd\ufffd.pdf"]["Outcome"] == "Skipped"
    assert files["CPCA-005 \ufffd.xlsx"]["Outcome"] == "Skipped"
    assert files["locked.xlsx"]["Outcome"] == "Rejected"
    assert files["private"]["Outcome"] == "Skipped"
    said = {p["File"]: p["Problem"] for p in problems}
    assert "not valid text (UTF-8)" in said["CPCA-005 \ufffd.xlsx"]
    assert "cannot be read (Permission denied)" in said["locked.xlsx"]
    assert "folder that cannot be read (Permission denied)" in said["private"]
    assert "Rejected: locked.xlsx" in result.output and "\\udcff" not in result.output


def test_an_unwritable_outputs_folder_stops_before_anything_is_stored(office):
    """The outputs "folder" is under a regular file (so it cannot be made: a real OS error, as for a
    folder without write permission): exit 2, one Error line, no store; the re-run with a good
    outputs folder accepts the return (not a "duplicate")."""
    office.good("CPCA-020")
    blocker = office.root / "not-a-folder"
    blocker.write_text("a file where the outputs folder should be")
    result = office.ingest(outputs=blocker / "out")
    assert result.exit_code == 2, result.output
    assert "cannot write the validation report there" in result.output and "nothing was done" in result.output
    assert not office.db.exists()
    again = office.ingest()
    assert again.exit_code == 0, again.output
    assert "Accepted 1," in again.output


def test_a_received_time_in_the_future_does_not_win_for_ever(office):
    """A file dated 2200 is flagged and stored at the time of the ingest; a correction saved an hour
    later then supersedes it, and the report explains the order."""
    from etl.store.db import Store

    first = office.good("CPCA-020", received=dt.datetime(2200, 1, 1, 9, 0))
    assert office.ingest().exit_code == 0
    (flag,) = [p for p in office.report()["Problems"] if p["Code"] == "received_in_future"]
    assert "01/01/2200 09:00" in flag["Problem"] and "in the future" in flag["Problem"]
    first.unlink()
    correction = office.good("CPCA-020", answers=_answers(office.env, "CPCA-020", rag_this_period="Amber"),
                             received=dt.datetime.now() + dt.timedelta(hours=1), name="correction.xlsx")
    assert office.ingest().exit_code == 0
    with Store(office.db) as store:
        (current,) = store.current_returns(PERIOD)
    assert (current["file_name"], current["rag_this_period"]) == (correction.name, "Amber")
    explained = [p for p in office.report()["Problems"] if p["Code"] == "supersedes"]
    assert explained and "because it was received later" in explained[0]["Problem"]


def test_a_received_time_before_the_period_began_is_flagged(office):
    office.good("CPCA-020", received=dt.datetime(2023, 8, 15, 10, 0))
    assert office.ingest().exit_code == 0
    (flag,) = [p for p in office.report()["Problems"] if p["Code"] == "received_before_period"]
    assert "15/08/2023 10:00" in flag["Problem"] and "before September 2023 began" in flag["Problem"]


def test_equal_received_times_are_resolved_deterministically_and_said(office):
    from etl.store.db import Store

    when = dt.datetime(2023, 10, 6, 12, 0)
    office.good("CPCA-020", received=when, name="a.xlsx")
    office.good("CPCA-020", answers=_answers(office.env, "CPCA-020", rag_this_period="Red"), received=when, name="b.xlsx")
    assert office.ingest().exit_code == 0
    with Store(office.db) as store:
        (current,) = store.current_returns(PERIOD)
    assert current["file_name"] == "b.xlsx"
    (said,) = [p for p in office.report()["Problems"] if p["Code"] == "supersedes"]
    assert said["File"] == "b.xlsx" and "at the same time, so the one ingested later (this one) is current" in said["Problem"]


def test_feedback_finds_the_file_from_another_working_folder(office, monkeypatch):
    """The store keeps absolute paths: ingest with a relative folder, then `feedback` run elsewhere
    still attaches the rejected file."""
    import email
    from email import policy

    office.good("CPCA-020", answers=_answers(office.env, "CPCA-020", rag_this_period="Purple"))
    monkeypatch.chdir(office.root)
    assert office.ingest(folder=Path("returns")).exit_code == 1
    elsewhere = office.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = _run("feedback", "--period", str(PERIOD), "--inputs", str(office.inputs), "--outputs",
                  str(office.outputs), "--db", str(office.db), "--eml", str(office.root / "drafts"))
    assert result.exit_code == 0, result.output
    assert "no longer there" not in result.output
    (draft,) = (office.root / "drafts").glob("*.eml")
    message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert [a.get_filename() for a in message.iter_attachments()] == ["CPCA-020_2023-09_highlight.xlsx"]


def test_a_huge_sparse_file_is_refused_by_its_size_without_being_read(office):
    """A 10 GB file (sparse: it takes no disk) named like a return: refused as too big in well under
    a few seconds (it is never hashed whole)."""
    path = office.returns / "CPCA-020_2023-09_highlight.xlsx"
    with open(path, "wb") as handle:
        handle.truncate(10 * 1024 ** 3)
    started = time.perf_counter()
    result = office.ingest()
    assert time.perf_counter() - started < 5
    assert result.exit_code == 1
    (problem,) = office.report()["Problems"]
    assert problem["Code"] == "too_big" and "10240.0 MB" in problem["Problem"]


def test_the_periods_report_keeps_earlier_files_and_says_which_problems_are_open(office):
    """Run 1 rejects CPCA-020 and CPCA-005; run 2 (another folder) brings CPCA-020's correction.
    The period's report lists all three files with their latest outcomes: CPCA-020's problem
    resolved, CPCA-005's still open; each run also has its own report."""
    office.good("CPCA-020", answers=_answers(office.env, "CPCA-020", rag_this_period="Purple"))
    office.good("CPCA-005", answers=_answers(office.env, "CPCA-005", rag_this_period="Blue"))
    assert office.ingest().exit_code == 1
    late = office.root / "late"
    late.mkdir()
    office.good("CPCA-020", folder=late, name="CPCA-020 corrected.xlsx")
    time.sleep(1.1)  # each run's own report is named by the second it ran
    assert office.ingest(folder=late).exit_code == 0
    report = office.report()
    outcomes = {Path(r["File"]).name: (r["Outcome"], r["Status"]) for r in report["Files"]}
    assert outcomes["CPCA-020 corrected.xlsx"] == ("Accepted", None)
    assert outcomes["CPCA-020_2023-09_highlight.xlsx"] == ("Rejected (earlier run)", "Resolved: a later return was accepted")
    assert outcomes["CPCA-005_2023-09_highlight.xlsx"] == ("Rejected (earlier run)", "Open")
    open_problems = [p for p in report["Problems"] if p["Status"] == "Open"]
    assert [p["Value"] for p in open_problems] == ["Blue"]
    runs = sorted((office.outputs / str(PERIOD)).glob("validation_report_*.xlsx"))
    assert len(runs) == 2
    latest_run = openpyxl.load_workbook(runs[-1], read_only=True)
    assert [r[0] for r in latest_run["Files"].iter_rows(min_row=2, values_only=True)] == ["CPCA-020 corrected.xlsx"]
    latest_run.close()


# ----------------------------------------------------------------------------- item 11 and 15: edges


def test_a_period_far_outside_the_calendar_is_a_usage_error(tmp_path):
    result = _run("templates", "--period", "9999-12", "--inputs", str(tmp_path), "--outputs", str(tmp_path / "o"))
    assert result.exit_code == 2 and "outside the years pmo reports on" in result.output
    assert "Traceback" not in result.output


def test_sheet_names_fit_excels_limit_in_utf16_units_and_are_never_empty():
    from etl.workbooks.highlight import SHEET_NAME_UNITS, _sheet_names

    class Workstream:
        def __init__(self, name: str, project_id: str):
            self.name, self.project_id = name, project_id

    names = _sheet_names([Workstream("a" * 30 + "😀", "CPCA-001"), Workstream("*:/", "CPCA/002"),
                          Workstream("*:/", "CPCA/003"), Workstream("History", "CPCA-004")])
    assert all(len(n.encode("utf-16-le")) // 2 <= SHEET_NAME_UNITS for n in names)
    assert names[1:] == ["CPCA 002", "CPCA 003", "History (2)"]


def test_text_over_a_cells_limit_is_cut_with_a_note_not_silently(tmp_path):
    from etl.workbooks.formats import CELL_TEXT_LIMIT, atomic_workbook, write_value

    path = tmp_path / "long.xlsx"
    with atomic_workbook(path) as (workbook, formats):
        write_value(workbook.add_worksheet("S"), 0, 0, "x" * 40_000)
    text = openpyxl.load_workbook(path)["S"]["A1"].value
    assert len(text) == CELL_TEXT_LIMIT and text.endswith("[cut here: the full text is 40,000 characters, over Excel's "
                                                          "32,767 a cell holds]")


def test_a_formula_without_a_saved_value_is_found_when_the_sheet_xml_uses_a_namespace_prefix(tmp_path):
    """Some writers save `<x:c><x:f>…</x:f></x:c>`: the byte scan deciding whether to look for
    formulas at all must see those as well as openpyxl's plain `<f>`."""
    import re
    import zipfile

    plain = _portfolio_with_ids(tmp_path, {}, formulas={"B4": '=CONCATENATE("Ely ","Bypass")'})
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8").replace(' xmlns="', ' xmlns:x="', 1)
                data = re.sub(r"<(/?)(?![?!])([A-Za-z]+)([\s>/])", r"<\1x:\2\3", text).encode("utf-8")
                assert b"<x:f>" in data and b"<f>" not in data
            target.writestr(item, data)
    with pytest.raises(ConfigError) as caught:
        load_portfolio(prefixed)
    [problem] = caught.value.problems
    assert (problem.code, problem.cell) == ("formula_no_value", "B4")
