"""`pmo ingest` end to end: what the officer sees (summary, exit code, the report's cells)
and what the store keeps, for clean, messy-but-valid, wrong and resubmitted returns.

Returns are written by the project's own template writer with a partner's answers typed in
(`tests/helpers_returns.py`); ingest is driven through the CLI with click's `CliRunner`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX, ROOT
from etl.contracts import fields as F
from etl.cycle.ingest import normalise
from etl.cycle.portfolio import load_portfolio
from etl.store.db import Store
from helpers_returns import (
    MESSY_RAGS, PERIOD, RECEIVED, good_answers, good_return, insert_rows, messy_answers, name_cell, with_values, zip_parts,
)
from schemas.highlight import Unparsed

# The period's report (validation_report.xlsx) adds a Status column: is a rejected return's problem still open?
PROBLEM_HEADER = ["File", "Project ID", "Field", "Sheet", "Cell", "Value", "Problem", "How to fix", "Severity", "Code",
                  "E-mail", "Status"]
FILES_HEADER = ["File", "Project ID", "Outcome", "Problems", "Received", "Size (bytes)", "SHA-256", "E-mail", "Status"]


@pytest.fixture(scope="module")
def portfolio():
    return load_portfolio(EXAMPLE_PORTFOLIO_XLSX)


_STORES: dict[Path, Path | str] = {}


@pytest.fixture
def work(tmp_path, store_url):
    """(scratch folder, returns folder); the test's store, on either backend, is `db_of(tmp_path)`."""
    folder = tmp_path / "returns"
    folder.mkdir()
    _STORES[tmp_path] = store_url
    yield tmp_path, folder
    _STORES.pop(tmp_path, None)


def db_of(tmp_path: Path) -> Path | str:
    """The store the test in `tmp_path` uses: an SQLite file there, or a PostgreSQL database."""
    return _STORES.get(tmp_path, tmp_path / "pmo.db")


def run_ingest(tmp_path: Path, folder: Path, *extra: str, period: str = str(PERIOD)):
    result = CliRunner().invoke(cli.main, [
        "ingest", str(folder), "--period", period, "--db", str(db_of(tmp_path)),
        "--inputs", str(ROOT / "inputs"), "--outputs", str(tmp_path / "out"), *extra,
    ])
    return result


def report(tmp_path: Path, period: str = str(PERIOD)) -> dict[str, list[dict[str, object]]]:
    """The report's sheets as lists of rows keyed by header (header row checked exactly)."""
    book = load_workbook(tmp_path / "out" / period / "validation_report.xlsx")
    sheets = {}
    for name, header in (("Problems", PROBLEM_HEADER), ("Files", FILES_HEADER)):
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == header
        sheets[name] = [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]
    return sheets


def test_clean_and_messy_returns_are_accepted_and_stored_normalised(work, portfolio):
    tmp_path, folder = work
    good_return(folder, portfolio, "CPCA-001")
    messy = good_return(folder, portfolio, "CPCA-002", answers=messy_answers("Full"))
    before = (messy.read_bytes(), messy.stat().st_mtime)

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 0, result.output
    assert "Accepted 2, superseded 0, rejected 0, duplicates skipped 0, other files skipped 0" in result.output
    assert str(tmp_path / "out" / str(PERIOD) / "validation_report.xlsx") in result.output
    files = report(tmp_path)["Files"]
    assert [(f["File"], f["Project ID"], f["Outcome"]) for f in files] == [
        ("CPCA-001_2023-09_highlight.xlsx", "CPCA-001", "Accepted"),
        ("CPCA-002_2023-09_highlight.xlsx", "CPCA-002", "Accepted"),
    ]
    assert files[1]["Received"] == dt.datetime.combine(RECEIVED, dt.time(9, 30))
    assert (messy.read_bytes(), messy.stat().st_mtime) == before  # the file is only read
    with Store(db_of(tmp_path)) as store:
        row = store.current_returns(PERIOD)[1]
        assert row["project_id"] == "CPCA-002"
        assert row["rag_this_period"] == "Amber"
        assert row["forecast_completion_date"] == "2025-03-31"
        assert row["next_key_milestone_date"] == "2024-03-31"
        assert (row["budget_approved"], row["spend_to_date"], row["forecast_outturn"]) == (1_200_000, 250_000, 1_200_000)
        assert row["completed_by"] == "Sam Patel"
        assert row["pm_update"] == "Works progressing; utility diversions slipped two weeks."
        assert [r["rating"] for r in store.risks(row["id"])] == ["High"]
        assert [m["status"] for m in store.milestones(row["id"], "this")] == ["Completed", "On track"]
        assert store.archived(row["sha256"]) == (messy.name, before[0])


@pytest.mark.parametrize("typed,stored", sorted(MESSY_RAGS.items()))
def test_rag_variants_normalise(typed, stored):
    assert normalise("rag", typed) == stored


@pytest.mark.parametrize("typed,expected", [
    ("31/03/2025", dt.date(2025, 3, 31)), ("31.03.2025", dt.date(2025, 3, 31)), ("2025-03-31", dt.date(2025, 3, 31)),
    ("31st March 2025", dt.date(2025, 3, 31)), (45747.0, dt.date(2025, 3, 31)),
    (dt.datetime(2025, 3, 31, 0, 0), dt.date(2025, 3, 31)),
])
def test_dates_normalise(typed, expected):
    assert normalise("date", typed) == expected


def test_month_only_date_and_bad_money_are_refused_saying_why():
    month = normalise("date", "March 2025")
    assert isinstance(month, Unparsed) and "ambiguous" in month.reason and "'March 2025'" in month.reason
    money = normalise("money", "about a million")
    assert isinstance(money, Unparsed) and "'about a million'" in money.reason
    assert normalise("money", "£1.2m") == 1_200_000 and normalise("money", "£250k") == 250_000
    assert normalise("text", "\u00a0 Sam\u00a0 Patel ") == "Sam Patel"
    assert normalise("risk_rating", " h ") == "High"
    assert isinstance(normalise("milestone_status", "Done"), Unparsed)


def test_rejected_return_names_every_cell_and_the_rest_of_the_batch_goes_on(work, portfolio):
    tmp_path, folder = work
    good_return(folder, portfolio, "CPCA-001")
    answers = with_values(good_answers("Full"), rag_this_period="Purple", forecast_completion_date="March 2025",
                          spend_to_date="-£5k", pm_update=None, completed_date=dt.date(2099, 1, 1))
    bad = good_return(folder, portfolio, "CPCA-003", answers=answers)

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 1
    assert "Accepted 1, superseded 0, rejected 1" in result.output
    assert "Rejected: CPCA-003_2023-09_highlight.xlsx" in result.output
    problems = [p for p in report(tmp_path)["Problems"] if p["File"] == bad.name]
    by_field = {p["Field"]: p for p in problems}
    assert all(p["Severity"] == "Error" and p["Project ID"] == "CPCA-003" for p in problems)
    rag = by_field["Status this period"]
    assert (rag["Sheet"], rag["Cell"], rag["Value"]) == (F.SHEET, name_cell(bad, "rag_this_period"), "Purple")
    assert "not a RAG rating" in rag["Problem"] and "Green/Amber" in rag["How to fix"]
    month = by_field["Forecast completion date"]
    assert month["Cell"] == name_cell(bad, "forecast_completion_date") and "ambiguous" in month["Problem"]
    assert "negative" in by_field["Spend to date (£)"]["Problem"]
    assert by_field["Spend to date (£)"]["Value"] == "-£5k"
    assert "required" in by_field["Project manager update"]["Problem"]
    assert by_field["Project manager update"]["Cell"] == name_cell(bad, "pm_update")
    assert "in the future" in by_field["Completion date"]["Problem"]
    assert len(problems) == 5
    with Store(db_of(tmp_path)) as store:
        assert [r["project_id"] for r in store.current_returns(PERIOD)] == ["CPCA-001"]
        logged = {f["name"]: f for f in store.files(PERIOD)}
        assert logged[bad.name]["outcome"] == "rejected"
        assert logged[bad.name]["return_id"] is None
        first = logged[bad.name]["problems"][0]
        assert set(first) == {"message", "file", "field", "sheet", "row", "cell", "value", "fix", "severity", "code"}
        assert {p["cell"] for p in logged[bad.name]["problems"]} == {p["Cell"] for p in problems}
    assert bad.exists()


def test_text_that_looks_like_a_formula_stays_text_in_report_and_store(work, portfolio):
    tmp_path, folder = work
    typed = "=HYPERLINK(\"http://x\",\"click\")"
    answers = with_values(good_answers("Full"), pm_update=typed, rag_this_period="+Green")
    good_return(folder, portfolio, "CPCA-004", answers=answers)
    assert run_ingest(tmp_path, folder).exit_code == 1
    book = load_workbook(tmp_path / "out" / str(PERIOD) / "validation_report.xlsx")
    cell = next(row[5] for row in book["Problems"].iter_rows(min_row=2) if row[2].value == "Status this period")
    assert cell.value == "+Green" and cell.data_type == "s"


def test_table_rows_checked_and_empty_rows_ignored(work, portfolio):
    tmp_path, folder = work
    base = good_answers("Full")
    tables = {**base.tables,
              "milestones_this_period": [("Design", "Done", dt.date(2023, 9, 1)), (None, None, None),
                                         (None, "Delayed", None)],
              "risks": [("Cost", "Watch", None), ("Scope", "Board", "Huge")]}
    path = good_return(folder, portfolio, "CPCA-005", answers=type(base)(base.values, tables))
    assert run_ingest(tmp_path, folder).exit_code == 1
    problems = {(p["Field"], p["Cell"]): p["Problem"] for p in report(tmp_path)["Problems"]}
    first = name_cell(path, "milestones_this_period")  # B<row> of the table's first row
    row = int(first[1:])
    assert "'Done' is not a milestone status" in problems[("Key milestones this period: Status", f"C{row}")]
    assert "no milestone described" in problems[("Key milestones this period: Milestone", f"B{row + 2}")]
    risks_row = int(name_cell(path, "risks")[1:])
    assert "'Huge' is not a risk rating" in problems[("Key risks and mitigation: Rating", f"D{risks_row + 1}")]
    assert len(problems) == 3  # the blank rating and the empty row are fine


def test_return_still_reads_after_a_partner_inserted_rows(work, portfolio):
    tmp_path, folder = work
    path = good_return(folder, portfolio, "CPCA-006", answers=with_values(good_answers("Full"), rag_this_period="AR"))
    rag_before = name_cell(path, "rag_this_period")
    insert_rows(path, before_row=int(rag_before[1:]) - 1, count=3, note="Added by PM")
    os.utime(path, (dt.datetime(2023, 10, 6, 9).timestamp(),) * 2)
    assert name_cell(path, "rag_this_period") != rag_before

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 0, result.output
    with Store(db_of(tmp_path)) as store:
        row = store.current_returns(PERIOD)[0]
        assert row["rag_this_period"] == "Amber/Red"
        assert row["budget_approved"] == 2_500_000
        assert len(store.risks(row["id"])) == 2


def test_resubmission_supersedes_and_both_stay_on_record(work, portfolio):
    tmp_path, folder = work
    good_return(folder, portfolio, "CPCA-007", answers=with_values(good_answers("Full"), rag_this_period="Red"),
                received=dt.date(2023, 10, 5))
    assert run_ingest(tmp_path, folder).exit_code == 0
    good_return(folder, portfolio, "CPCA-007", answers=with_values(good_answers("Full"), rag_this_period="Amber"),
                received=dt.date(2023, 10, 9), name="CPCA-007_2023-09_highlight v2.xlsx")

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 0
    assert "Accepted 0, superseded 1, rejected 0, duplicates skipped 1" in result.output
    outcomes = {f["File"]: f["Outcome"] for f in report(tmp_path)["Files"]}
    assert outcomes == {"CPCA-007_2023-09_highlight.xlsx": "Duplicate (skipped)",
                        "CPCA-007_2023-09_highlight v2.xlsx": "Accepted (supersedes earlier return)"}
    with Store(db_of(tmp_path)) as store:
        first, second = store.returns_for("CPCA-007", PERIOD)
        assert (first["rag_this_period"], second["rag_this_period"]) == ("Red", "Amber")
        assert first["superseded_by"] == second["id"] and second["superseded_by"] is None
        assert [r["rag_this_period"] for r in store.current_returns(PERIOD)] == ["Amber"]


def store_dump(db: Path) -> list:
    with Store(db) as store:
        return [list(map(tuple, store.db.execute(f"SELECT * FROM {t} ORDER BY 1"))) for t in
                ("files", "returns", "milestones", "risks")]


def test_running_again_changes_nothing(work, portfolio):
    tmp_path, folder = work
    good_return(folder, portfolio, "CPCA-001")
    good_return(folder, portfolio, "CPCA-002", answers=with_values(good_answers("Full"), rag_this_period="Blue"))
    (folder / "covering letter.pdf").write_bytes(b"%PDF-1.4 letter")
    (folder / "~$CPCA-001_2023-09_highlight.xlsx").write_bytes(b"lock")
    first = run_ingest(tmp_path, folder)
    dump = store_dump(db_of(tmp_path))
    archive = sorted(p.relative_to(tmp_path) for p in (tmp_path / "archive").rglob("*"))

    second = run_ingest(tmp_path, folder)

    assert first.exit_code == second.exit_code == 1
    assert "Accepted 1, superseded 0, rejected 1, duplicates skipped 0, other files skipped 2" in first.output
    assert "Accepted 0, superseded 0, rejected 1, duplicates skipped 1, other files skipped 2" in second.output
    assert store_dump(db_of(tmp_path)) == dump
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "archive").rglob("*")) == archive
    assert len(dump[0]) == 4  # two returns, the letter and the lock file, each logged once


def test_not_due_is_accepted_with_a_warning(work, portfolio):
    tmp_path, folder = work
    quarterly = portfolio[(portfolio["frequency"] == "Quarterly") & (portfolio["report_type"] == "Full")].index[0]
    path = good_return(folder, portfolio, quarterly, period="2023-08", received=dt.date(2023, 9, 6))
    result = run_ingest(tmp_path, folder, period="2023-08")
    assert result.exit_code == 0, result.output
    (warning,) = report(tmp_path, "2023-08")["Problems"]
    assert warning["Severity"] == "Warning" and "not due to report for 2023-08" in warning["Problem"]
    assert warning["Cell"] == name_cell(path, "project_id")
    assert report(tmp_path, "2023-08")["Files"][0]["Outcome"] == "Accepted"


def test_forecast_completion_already_past_is_a_warning(work, portfolio):
    tmp_path, folder = work
    path = good_return(folder, portfolio, "CPCA-001",
                       answers=with_values(good_answers("Full"), forecast_completion_date="31/08/2023"))
    assert run_ingest(tmp_path, folder).exit_code == 0
    (warning,) = report(tmp_path)["Problems"]
    assert (warning["Severity"], warning["Cell"], warning["Value"]) == (
        "Warning", name_cell(path, "forecast_completion_date"), "31/08/2023")
    assert "before September 2023 began" in warning["Problem"]


def test_wrong_period_and_unknown_project_are_rejected(work, portfolio):
    tmp_path, folder = work
    wrong = good_return(folder, portfolio, "CPCA-001", period="2023-08", received=dt.date(2023, 9, 6))
    unknown = good_return(folder, portfolio, "CPCA-002", name="unknown.xlsx")
    for old, new in ((b"CPCA-002", b"CPCA-999"),):
        # The partner's return names a project the portfolio does not have.
        import zipfile
        parts = {}
        with zipfile.ZipFile(unknown) as z:
            for info in z.infolist():
                parts[info.filename] = z.read(info).replace(old, new)
        with zipfile.ZipFile(unknown, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data)
    result = run_ingest(tmp_path, folder)
    assert result.exit_code == 1
    problems = {p["File"]: p for p in report(tmp_path)["Problems"] if p["Severity"] == "Error"}
    assert "returns for 2023-09 are being ingested" in problems[wrong.name]["Problem"]
    assert problems[wrong.name]["Cell"] == name_cell(wrong, "period")
    assert "'CPCA-999' is not on the portfolio" in problems[unknown.name]["Problem"]


@pytest.mark.parametrize("args,message", [
    (["missing-folder"], "folder of returns not found"),
    (["returns", "--portfolio", "nowhere.xlsx"], "portfolio not found"),
])
def test_configuration_problems_exit_2(work, args, message):
    tmp_path, folder = work
    result = CliRunner().invoke(cli.main, ["ingest", str(tmp_path / args[0]), "--period", "2023-09",
                                           "--db", str(db_of(tmp_path)), "--inputs", str(ROOT / "inputs"),
                                           *[a if a.startswith("--") else str(tmp_path / a) for a in args[1:]]])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_portfolio_exits_2(work):
    tmp_path, folder = work
    bad = tmp_path / "portfolio.csv"
    bad.write_text("Project ID,Project Name\nX,\n")
    result = run_ingest(tmp_path, folder, "--portfolio", str(bad))
    assert result.exit_code == 2 and "Error:" in result.output


def test_validation_report_opens_in_libreoffice(work, portfolio):
    from helpers_libreoffice import convert_to_pdf, pdf_text

    tmp_path, folder = work
    good_return(folder, portfolio, "CPCA-001")
    good_return(folder, portfolio, "CPCA-003", answers=with_values(good_answers("Full"), rag_this_period="Purple"))
    run_ingest(tmp_path, folder)
    pdf = convert_to_pdf(tmp_path / "out" / str(PERIOD) / "validation_report.xlsx", tmp_path / "pdf")
    text = pdf_text(pdf)
    assert "Purple" in text and "not a RAG rating" in text
    assert "CPCA-001_2023-09_highlight.xlsx" in text and "Accepted" in text


@pytest.mark.parametrize("parts,fragment", [
    # A small file whose one part inflates a thousandfold: refused before anything is parsed.
    ({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (5 * 1024 * 1024)},
     "compressed more than 200 to 1"),
    # Excel's binary workbook format, saved by mistake.
    ({"xl/workbook.bin": b"\0\1\2"}, "binary Excel workbook (.xlsb)"),
    # A zip of something else entirely, renamed .xlsx.
    ({"photos/site.jpg": b"\xff\xd8\xff"}, "zip file, but not an Excel workbook"),
])
def test_reader_refuses_other_packages_before_parsing(parts, fragment):
    from etl.cycle.reader import read_return
    from etl.errors import ReturnUnreadable

    with pytest.raises(ReturnUnreadable) as caught:
        read_return(Path("return.xlsx"), zip_parts(parts))
    (problem,) = caught.value.problems
    assert fragment in problem.message and problem.file == "return.xlsx" and problem.fix


def formula_error_in(path: Path, name: str, error: str = "#DIV/0!") -> Path:
    """A partner typed a formula into a field that Excel could not work out (e.g. `=B31/0`):
    Excel saves the formula with its error as the cached value (`t="e"`)."""
    import re

    from helpers_returns import SHEET_XML, rewrite_zip

    ref = name_cell(path, name)

    def edit(data: bytes) -> bytes:
        text = data.decode()
        cell = re.search(rf'<c r="{ref}"(?: [^>]*?)?(?:/>|>.*?</c>)', text).group(0)
        style = re.search(r' s="\d+"', cell)
        return text.replace(cell, f'<c r="{ref}"{style.group(0) if style else ""} t="e"><f>B31/0</f>'
                                  f'<v>{error}</v></c>').encode()

    return rewrite_zip(path, {SHEET_XML: edit})


def test_a_formula_error_is_reported_as_the_error_not_as_blank(work, portfolio):
    tmp_path, folder = work
    path = formula_error_in(good_return(folder, portfolio, "CPCA-001"), "spend_to_date")
    assert run_ingest(tmp_path, folder).exit_code == 1
    (problem,) = report(tmp_path)["Problems"]
    assert (problem["Field"], problem["Cell"], problem["Value"]) == (
        "Spend to date (£)", name_cell(path, "spend_to_date"), "#DIV/0!")
    assert "shows the error #DIV/0!" in problem["Problem"]


def test_without_its_meta_sheet_a_return_is_rejected_for_an_unknown_template_version(work, portfolio):
    """A partner's tool dropped the very hidden `_meta` sheet when saving (the sheet's entry is gone
    from the workbook): the template version can no longer be checked, so the return is rejected
    as of unknown version rather than read on trust (issue 15, item 12)."""
    import re

    from helpers_returns import WORKBOOK_XML, rewrite_zip

    tmp_path, folder = work
    path = good_return(folder, portfolio, "CPCA-002")
    rewrite_zip(path, {WORKBOOK_XML: lambda data: re.sub(rb'<sheet name="_meta"[^>]*/>', b"", data)})

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 1, result.output
    (problem,) = report(tmp_path)["Problems"]
    assert problem["Code"] == "template_version"
    assert "_meta sheet" in problem["Problem"] and "missing" in problem["Problem"]
    with Store(db_of(tmp_path)) as store:
        assert store.current_returns(PERIOD) == []


def test_received_time_is_the_files_local_time(work, portfolio, monkeypatch):
    """Lateness goes by the office's calendar day: a return saved at 00:30 British Summer Time
    arrived that day, not (as in UTC) the evening before."""
    import time

    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        tmp_path, folder = work
        good_return(folder, portfolio, "CPCA-001", received=dt.datetime(2023, 10, 14, 0, 30))
        assert run_ingest(tmp_path, folder).exit_code == 0
        with Store(db_of(tmp_path)) as store:
            assert store.current_returns(PERIOD)[0]["received_at"] == "2023-10-14T00:30:00"
        assert report(tmp_path)["Files"][0]["Received"] == dt.datetime(2023, 10, 14, 0, 30)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_return_resaved_by_libreoffice_calc_still_reads(work, portfolio):
    """A partner opened the return in LibreOffice Calc and saved it again as .xlsx: Calc rewrites
    every part (its own styles, the `_meta` sheet merely hidden), but keeps the defined names."""
    import subprocess
    import tempfile

    from helpers_libreoffice import require_libreoffice

    soffice = require_libreoffice()
    tmp_path, folder = work
    sent = good_return(tmp_path, portfolio, "CPCA-002", answers=messy_answers("Full"))
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder), str(sent)],
                       capture_output=True, timeout=180, check=True)
    resaved = folder / sent.name
    assert resaved.read_bytes() != sent.read_bytes()

    result = run_ingest(tmp_path, folder)

    assert result.exit_code == 0, result.output
    with Store(db_of(tmp_path)) as store:
        (row,) = store.current_returns(PERIOD)
        assert (row["rag_this_period"], row["budget_approved"], row["template_version"]) == ("Amber", 1_200_000, F.TEMPLATE_VERSION)
        assert len(store.risks(row["id"])) == 1 and len(store.milestones(row["id"], "this")) == 2
