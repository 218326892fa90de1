"""The portfolio: loading .xlsx and .csv, and every problem reported with row, column, cell and value."""

import datetime as dt

import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_CSV, EXAMPLE_PORTFOLIO_XLSX, example_rows, write_rows_csv
from etl.config import Settings
from etl.errors import ConfigError, PortfolioError
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio, reporting_plan
from etl.workbooks.inputs import write_portfolio
from schemas.portfolio import HEADERS


def problems_of(path, settings=None):
    with pytest.raises(PortfolioError) as err:
        load_portfolio(path, settings)
    return err.value.problems


def only_problem(rows, tmp_path, settings=None):
    problems = problems_of(write_rows_csv(rows, tmp_path / "portfolio.csv"), settings)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_example_workbook_loads_and_matches_its_csv_source():
    from_xlsx = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    from_csv = load_portfolio(EXAMPLE_PORTFOLIO_CSV)
    assert len(from_xlsx) == len(example_rows()) >= 40
    columns = [c for c in from_xlsx.columns if c != "row"]
    assert from_xlsx[columns].equals(from_csv[columns])


def test_committed_example_workbook_is_what_the_builder_makes(tmp_path):
    from etl.demo.examples import FIXED_TIME, portfolio_records

    rebuilt = write_portfolio(portfolio_records(EXAMPLE_PORTFOLIO_CSV), tmp_path / "p.xlsx", created=FIXED_TIME)
    assert rebuilt.read_bytes() == EXAMPLE_PORTFOLIO_XLSX.read_bytes(), "run scripts/make_example_inputs.py"


def test_example_portfolio_covers_the_rules():
    frame = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    assert set(frame["stage"]) == {"Pipeline", "Concept", "Business Case", "Delivery", "Closed"}
    assert set(frame["district"]) == set(Settings().allowed_districts)
    costs = set(frame["delivery_cost"])
    assert {1_000_000, 1_000_001, 5_000_000, 5_000_001} <= costs
    assert frame["most_complex"].sum() == 7
    assert (frame["programme"] == "Improvement Plan Phase 2").sum() == 5
    assert frame["frequency_override"].notna().sum() >= 3


def test_typed_values(tmp_path):
    rows = example_rows()[:3]
    rows[0]["Delivery Cost (£)"] = "£1,200,000"
    rows[1]["Delivery Cost (£)"] = "1.2m"
    rows[2]["Delivery Cost (£)"] = "£250k"
    rows[2]["Agreed Completion Date"] = "31/03/2026"
    rows[2]["Stage"] = " delivery "
    rows[2]["Most Complex"] = "y"
    frame = load_portfolio(write_rows_csv(rows, tmp_path / "p.csv"))
    assert list(frame["delivery_cost"]) == [1_200_000, 1_200_000, 250_000]
    assert list(frame["frequency"]) == ["Bi-monthly", "Bi-monthly", "Quarterly"]
    third = frame.iloc[2]
    assert third["agreed_completion_date"] == dt.date(2026, 3, 31)
    assert third["stage"] == "Delivery" and third["report_type"] == "Full"
    assert bool(third["most_complex"]) is True
    assert list(frame["row"]) == [2, 3, 4]
    assert frame.index.name == "Project ID" and list(frame.index) == [r["Project ID"] for r in rows]


def test_override_sets_frequency(tmp_path):
    rows = example_rows()[:1]
    rows[0]["Delivery Cost (£)"] = "250000"
    rows[0]["Frequency Override"] = "monthly"
    rows[0]["Override Reason"] = "Contractor in administration"
    frame = load_portfolio(write_rows_csv(rows, tmp_path / "p.csv"))
    assert frame.iloc[0]["frequency"] == "Monthly"


@pytest.mark.parametrize(
    "column, typed, row_index, message",
    [
        ("Stage", "Deliverd", 3, "'Deliverd' is not a stage: use one of Pipeline, Concept, Business Case, Delivery, Closed"),
        ("Stage", "", 3, "Stage is blank"),
        ("District", "Narnia", 4, "'Narnia' is not a district: use one of Cambridge, East Cambridgeshire, Fenland"),
        ("Delivery Cost (£)", "-50000", 5, "'-50000' is negative: a delivery cost cannot be below £0"),
        ("Delivery Cost (£)", "about two million", 6, "'about two million' is not an amount of money"),
        ("Frequency Override", "Weekly", 9, "'Weekly' is not a reporting frequency"),
        ("Project Manager Email", "jo.bloggs@", 11, "'jo.bloggs@' is not an email address"),
        ("Internal Representative Email", "pmo at cpca", 11, "'pmo at cpca' is not an email address"),
        ("Latitude", "152.2", 12, "'152.2' is out of range: a latitude is between -90 and 90"),
        ("Longitude", "-181", 12, "'-181' is out of range: a longitude is between -180 and 180"),
        ("Longitude", "east", 13, "'east' is not a number"),
        ("Agreed Completion Date", "March 2025", 14, "'March 2025' gives a month but no day"),
        ("Agreed Completion Date", "31/02/2025", 14, "'31/02/2025' is not a real date"),
        # One plausibility rule (settings) for the portfolio, the template and the return.
        ("Agreed Completion Date", "31/03/1850", 14,
         "'31/03/1850' is not a plausible date for a project (expected 01/01/2000 to 31/12/2100)"),
        ("Agreed Completion Date", "31/12/9999", 14, "'31/12/9999' is not a plausible date for a project"),
        ("Agreed Completion Date", "31/03/2110", 14, "'31/03/2110' is not a plausible date for a project"),
        ("Delivery Cost (£)", "1.7e308", 5, "is not an amount of money"),
        ("Delivery Cost (£)", "£4,600bn", 5, "is more than any project's cost could be (the office's limit is £100,000,000,000)"),
        ("Delivery Cost (£)", "2,5m", 5, "'2,5m' is ambiguous"),
        ("Most Complex", "perhaps", 15, "'perhaps' is not yes or no"),
        ("Project Name", "", 16, "Project Name is blank"),
    ],
)
def test_each_problem_names_row_column_cell_and_value(tmp_path, column, typed, row_index, message):
    rows = example_rows()
    rows[row_index][column] = typed
    if column == "Frequency Override":
        rows[row_index]["Override Reason"] = "Requested by the Executive Director"
    problem = only_problem(rows, tmp_path)
    letter = "ABCDEFGHIJKLMNOPQRST"[list(HEADERS).index(column)]
    spreadsheet_row = row_index + 2  # header on row 1
    assert (problem.row, problem.field, problem.cell) == (spreadsheet_row, column, f"{letter}{spreadsheet_row}")
    assert message in problem.message
    assert str(problem).startswith(f"portfolio.csv, row {spreadsheet_row}, column '{column}', cell {letter}{spreadsheet_row}: ")


def test_duplicate_and_blank_ids(tmp_path):
    rows = example_rows()
    rows[4]["Project ID"] = rows[1]["Project ID"]
    rows[7]["Project ID"] = "  "
    problems = problems_of(write_rows_csv(rows, tmp_path / "p.csv"))
    text = [str(p) for p in problems]
    dup = rows[1]["Project ID"]
    assert f"p.csv, row 3, column 'Project ID', cell A3: duplicate Project ID '{dup}': each project must have its own ID (also on row 6)" in text
    assert f"p.csv, row 6, column 'Project ID', cell A6: duplicate Project ID '{dup}': each project must have its own ID (also on row 3)" in text
    assert "p.csv, row 9, column 'Project ID', cell A9: Project ID is blank: every project needs a unique Project ID" in text
    assert len(problems) == 3


def test_override_without_reason(tmp_path):
    rows = example_rows()
    rows[2]["Frequency Override"] = "Monthly"
    rows[2]["Override Reason"] = ""
    problem = only_problem(rows, tmp_path)
    assert (problem.row, problem.field, problem.cell) == (4, "Override Reason", "J4")
    assert "Override Reason is blank but Frequency Override is 'Monthly'" in problem.message


def test_reporting_project_needs_a_cost_or_an_override(tmp_path):
    rows = example_rows()
    delivery = next(i for i, r in enumerate(rows) if r["Stage"] == "Delivery")
    pipeline = next(i for i, r in enumerate(rows) if r["Stage"] == "Pipeline")
    rows[delivery]["Delivery Cost (£)"] = ""
    rows[pipeline]["Delivery Cost (£)"] = ""  # paused: no frequency needed
    problem = only_problem(rows, tmp_path)
    assert problem.row == delivery + 2 and problem.field == "Delivery Cost (£)"
    assert "it sets how often the project reports" in problem.message


def test_reporting_project_needs_a_pm_email(tmp_path):
    rows = example_rows()
    closed = next(i for i, r in enumerate(rows) if r["Stage"] == "Closed")
    rows[0]["Project Manager Email"] = ""
    rows[closed]["Project Manager Email"] = ""
    problem = only_problem(rows, tmp_path)
    assert (problem.row, problem.field) == (2, "Project Manager Email")


def test_every_problem_is_reported_at_once(tmp_path):
    rows = example_rows()
    rows[3]["Stage"] = "Deliverd"
    rows[5]["Delivery Cost (£)"] = "-1"
    rows[10]["Latitude"] = "95"
    rows[20]["District"] = "Atlantis"
    problems = problems_of(write_rows_csv(rows, tmp_path / "p.csv"))
    assert [(p.row, p.field) for p in problems] == [
        (5, "Stage"), (7, "Delivery Cost (£)"), (12, "Latitude"), (22, "District")]


def test_xlsx_problems_name_real_rows_despite_title_and_blank_rows(tmp_path):
    records = [{h: r.get(h) or None for h in HEADERS} for r in example_rows()[:4]]
    records[2]["Stage"] = "Deliverd"
    path = write_portfolio(records, tmp_path / "portfolio.xlsx")
    # An officer adds a title above the table and a blank line between projects.
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["Projects"]
    sheet.insert_rows(1, 2)
    sheet["A1"] = "Project portfolio — September 2024"
    sheet.insert_rows(5)
    book.save(path)
    problem = only_problem_xlsx(path)
    # header now on row 3, data rows 4, (blank 5), 6, 7: the third project is on row 7
    assert (problem.row, problem.field, problem.cell) == (7, "Stage", "G7")


def only_problem_xlsx(path):
    problems = problems_of(path)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_configured_districts(tmp_path):
    rows = example_rows()[:2]
    rows[0]["District"] = "Fenland"
    rows[1]["District"] = "Rutland"
    path = write_rows_csv(rows, tmp_path / "p.csv")
    assert problems_of(path)[0].value == "Rutland"
    frame = load_portfolio(path, Settings(districts=("Fenland", "Rutland")))
    assert list(frame["district"]) == ["Fenland", "Rutland"]


def test_missing_headers_file_and_sheet(tmp_path):
    rows = [{k: v for k, v in r.items() if k not in ("Stage", "Latitude")} for r in example_rows()[:2]]
    with pytest.raises(ConfigError, match="missing column\\(s\\) 'Stage', 'Latitude'"):
        load_portfolio(write_rows_csv(rows, tmp_path / "p.csv"))
    with pytest.raises(ConfigError, match="file not found"):
        load_portfolio(tmp_path / "nope.xlsx")
    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "wrong.xlsx")
    book.add_worksheet("Sheet1").write_row(0, 0, list(HEADERS))
    book.close()
    with pytest.raises(ConfigError, match="no sheet named 'Projects' \\(the workbook has: Sheet1\\)"):
        load_portfolio(tmp_path / "wrong.xlsx")
    (tmp_path / "renamed.xlsx").write_text("Project ID,Project Name\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be opened as an Excel workbook"):
        load_portfolio(tmp_path / "renamed.xlsx")


def test_bad_portfolio_exits_2_with_every_message_and_no_traceback(tmp_path):
    rows = example_rows()
    rows[3]["Stage"] = "Deliverd"
    rows[6]["Project Manager Email"] = "nobody"
    path = write_rows_csv(rows, tmp_path / "portfolio.csv")
    result = CliRunner().invoke(
        cli.main, ["templates", "--period", "2024-09", "--portfolio", str(path), "--outputs", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "2 problems in the portfolio" in result.output
    assert "portfolio.csv, row 5, column 'Stage', cell G5: 'Deliverd' is not a stage" in result.output
    assert "portfolio.csv, row 8, column 'Project Manager Email', cell M8: 'nobody' is not an email address" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_reporting_plan_month_by_month():
    frame = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    reporting = frame[frame["report_type"].notna()]
    # December ends a quarter and an even month: every reporting project is due.
    december = reporting_plan(frame, Period(2024, 12))
    assert set(december[december["due"]].index) == set(reporting.index)
    # September ends a quarter but is an odd month: monthly and quarterly projects only.
    september = reporting_plan(frame, Period(2024, 9))
    assert set(september[september["due"]].index) == set(reporting[reporting["frequency"] != "Bi-monthly"].index)
    assert set(september["due_date"]) == {dt.date(2024, 10, 14)}
    july = reporting_plan(frame, Period(2024, 7))
    assert set(july[july["due"]]["frequency"]) == {"Monthly"}
    assert not december[december["stage"].isin(["Pipeline", "Closed"])]["due"].any()
