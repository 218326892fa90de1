"""The corporate performance report's other sections and columns: comparators, planned
actions, committees as a setting, Priority Activities, the Gateway Review, changes to the
Most Complex list, and what each bad cell of the new inputs gives."""

import csv

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX, example_rows, office_for, write_rows_csv
from etl.config import load_settings
from etl.demo.examples import EXAMPLES
from etl.rules import kpi_rules
from etl.rules.periods import Period
from etl.workbooks.formats import RAG_COLOURS
from helpers_scorecard import EXAMPLE_KPIS_XLSX, kpi_rows, write_kpi_csv

pytestmark = pytest.mark.filterwarnings("ignore:Sparkline Group extension:UserWarning")  # openpyxl cannot read them

SEPTEMBER = Period(2023, 9)
PLAN_XLSX = EXAMPLE_KPIS_XLSX.parent / "corporate_plan.xlsx"


def rows_of(name):
    with open(EXAMPLES / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def headers(ws, row=4):
    return {c.value: c.column for c in ws[row] if c.value}


def row_of(ws, column, text, first=5):
    return next(r for r in range(first, ws.max_row + 1) if ws.cell(r, column).value == text)


def summary_of(book):
    ws = book["Summary"]
    return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value}


def problems_of(book):
    ws = book["Problems"]
    cols = headers(ws)
    return [{h: ws.cell(r, c).value for h, c in cols.items()} for r in range(5, ws.max_row + 1)
            if ws.cell(r, cols["Row"]).value]


def scorecard(tmp_path, kpis=EXAMPLE_KPIS_XLSX, *args, settings=None, portfolio=EXAMPLE_PORTFOLIO_XLSX,
              period=SEPTEMBER):
    office = office_for(tmp_path / "out", tmp_path / "pmo.db", portfolio=portfolio, settings=settings)
    return office.scorecard(period, kpis, *args)


# ----------------------------------------------------------------------------- comparators


def test_comparator_gap_and_verdict_follow_the_direction_for_improvement():
    assert kpi_rules.compare_with(0.105, 0.12, "↑") == (pytest.approx(-0.015), "Worse")
    assert kpi_rules.compare_with(0.117, 0.131, "↓") == (pytest.approx(-0.014), "Better")
    assert kpi_rules.compare_with(435, 410, "↓") == (25.0, "Worse")
    assert kpi_rules.compare_with(5, 5, "↑") == (0.0, "Level")
    assert kpi_rules.compare_with(None, 5, "↑") == (None, None)


def test_scorecard_shows_each_comparator_with_gap_and_better_or_worse(tmp_path):
    run = scorecard(tmp_path, EXAMPLE_KPIS_XLSX, PLAN_XLSX, PLAN_XLSX)
    ws = openpyxl.load_workbook(run.path)["Balanced Scorecard"]
    cols = headers(ws)
    comparators = cols["Comparators (gap, better or worse)"]
    metric = {s.kpi.metric[:10]: s.kpi.metric for s in run.scored}
    assert ws.cell(row_of(ws, cols["Metric"], metric["Metric 13:"]), comparators).value == \
        "England: 12.0% (gap -1.5 pts, Worse)"
    assert ws.cell(row_of(ws, cols["Metric"], metric["Metric 12:"]), comparators).value == \
        "England: 13.1% (gap -1.4 pts, Better)"
    # two comparators on one KPI, one line each
    assert ws.cell(row_of(ws, cols["Metric"], metric["Metric 3: "]), comparators).value == \
        "England: 0.87 (gap +0.03, Better)\nMayoral CA average: 0.84 (gap +0.06, Better)"


# ----------------------------------------------------------------------------- planned actions


def test_a_red_kpi_without_planned_actions_is_flagged_in_the_summary(tmp_path):
    rows = kpi_rows()
    jobs = rows[1]  # Metric 2: Red, Business Board
    assert jobs["Planned Actions"]
    jobs["Planned Actions"] = jobs["Action Owner"] = jobs["Action Due"] = ""
    run = scorecard(tmp_path, write_kpi_csv(rows, tmp_path / "kpis.csv"))
    assert [s.kpi.metric for s in run.red_without_actions] == [jobs["Metric"]]
    book = openpyxl.load_workbook(run.path)
    assert summary_of(book)["Red KPIs without planned actions"] == 1
    summary = book["Summary"]
    flagged = row_of(summary, 1, jobs["Metric"])
    assert summary.cell(flagged, 2).value == "No planned actions"
    # the committee's exception list shows the planned actions of its other Red KPIs
    board = book["Business Board"]
    exception_row = row_of(board, 1, "Exception report: Red KPIs")
    cols = headers(board, exception_row + 1)
    actions = {board.cell(r, cols["Metric"]).value: board.cell(r, cols["Planned actions to improve performance"]).value
               for r in range(exception_row + 2, board.max_row + 1) if board.cell(r, cols["Metric"]).value}
    assert actions[jobs["Metric"]] is None
    assert all(text for metric, text in actions.items() if metric != jobs["Metric"])


# ----------------------------------------------------------------------------- committees


def test_committees_are_a_setting_matched_leniently(tmp_path):
    (tmp_path / "pmo.toml").write_text('committees = ["Skills and Employment", "Growth and Investment"]\n')
    settings = load_settings(tmp_path)
    assert settings.committees == ("Skills and Employment", "Growth and Investment")
    rows = kpi_rows()[:4]
    rows[0]["Committee"] = "Skills & Employment"
    rows[1]["Committee"] = "skills and employment committee"
    rows[2]["Committee"] = "Growth & Investment Committee"
    rows[3]["Committee"] = "Business Board"  # a default committee this office does not have
    run = scorecard(tmp_path, write_kpi_csv(rows, tmp_path / "kpis.csv"), settings=settings)
    assert [s.kpi.committee for s in run.scored[:3]] == ["Skills and Employment", "Skills and Employment",
                                                          "Growth and Investment"]
    [problem] = run.problems
    assert str(problem) == ("kpis.csv, row 5, column 'Committee', cell M5: 'Business Board' is not a thematic "
                            "committee: use one of Skills and Employment, Growth and Investment, or leave it blank")
    book = openpyxl.load_workbook(run.path)
    assert "Growth and Investment" in book.sheetnames and "Business Board" not in book.sheetnames


def test_committees_setting_must_be_a_list_of_names(tmp_path):
    from etl.errors import ConfigError

    (tmp_path / "pmo.toml").write_text('committees = "Business Board"\n')
    with pytest.raises(ConfigError, match="'committees' must be a list of names"):
        load_settings(tmp_path)


# ----------------------------------------------------------------------------- bad cells in the new KPI columns


def test_bad_comparator_and_action_due_cells_are_named_and_the_row_is_not_rated(tmp_path):
    rows = kpi_rows()
    rows[2]["Comparator Value"] = "about 0.9"
    rows[4]["Action Due"] = "next spring"
    rows[5]["Comparator"], rows[5]["Comparator Value"] = "", "3.2"
    run = scorecard(tmp_path, write_kpi_csv(rows, tmp_path / "kpis.csv"))
    got = [(str(p), p.code) for p in run.problems]
    assert got == [
        ("kpis.csv, row 4, column 'Comparator Value', cell R4: 'about 0.9' is not a number", "number"),
        ("kpis.csv, row 6, column 'Action Due', cell P6: 'next spring' is not a date (write it as dd/mm/yyyy, "
         "e.g. 31/03/2025)", "date"),
        ("kpis.csv, row 7, column 'Comparator', cell Q7: a comparator value (3.2) is given without the "
         "comparator's name: say what it is (e.g. England, Mayoral CA average)", "comparator_1_named"),
    ]
    assert [s.rag_direction for s in run.scored if not s.rated] == ["Not rated"] * 3
    assert len(run.scored) == 27 and sum(s.rated for s in run.scored) == 24
    assert [p["Cell"] for p in problems_of(openpyxl.load_workbook(run.path))] == ["R4", "P6", "Q7"]


# ----------------------------------------------------------------------------- Priority Activities


def test_priority_activities_grouped_by_directorate_with_rag_counts_and_overdue(tmp_path):
    run = scorecard(tmp_path, EXAMPLE_KPIS_XLSX, PLAN_XLSX, PLAN_XLSX)
    source = rows_of("priority_activities.csv")
    assert [a.activity for a in run.activities] == [r["Activity"] for r in source]
    assert [a.activity for a in run.overdue] == ["Complete the bus franchising assessment"]  # due 31/08/2023
    ws = openpyxl.load_workbook(run.path)["Priority Activities"]
    counts = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(5, 10)}
    assert counts == {"Green": 4, "Green/Amber": 2, "Amber": 2, "Amber/Red": 1, "Red": 1}
    directorates = [ws.cell(r, 1).value for r in range(12, ws.max_row + 1)
                    if ws.cell(r, 1).fill.fgColor.rgb and ws.cell(r, 1).fill.fgColor.rgb.endswith("1F3864")
                    and ws.cell(r, 1).value not in ("Business Plan", "RAG")]
    assert directorates == ["Economy and Growth", "Place and Connectivity", "Skills and Employment",
                            "Resources and Performance"]
    bus = row_of(ws, 2, "Complete the bus franchising assessment", first=12)
    assert (ws.cell(bus, 5).value, ws.cell(bus, 6).value) == ("Red", "Overdue")
    assert ws.cell(bus, 4).value.date().isoformat() == "2023-08-31"
    colours = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            for cell in (f"E{bus}", f"F{bus}"):
                if any(cell in r for r in cf.sqref.ranges):
                    colours[rule.formula[0].strip('"')] = rule.dxf.fill.bgColor.rgb[-6:]
    assert colours["Red"] == RAG_COLOURS["Red"][0][1:] and colours["Amber/Red"] == RAG_COLOURS["Amber/Red"][0][1:]
    assert colours["Overdue"] == "FFC7CE"


def test_bad_priority_activity_and_gateway_cells_are_listed_and_the_rest_is_built(tmp_path):
    activities = rows_of("priority_activities.csv")
    activities[0]["Directorate"] = "Planning"
    activities[1]["RAG"] = "Purple"
    activities[2]["Due Date"] = "end of March"
    commitments = rows_of("gateway_review.csv")
    commitments[1]["Due"] = "31/13/2025"
    a = write_rows_csv(activities, tmp_path / "activities.csv")
    g = write_rows_csv(commitments, tmp_path / "gateway.csv")
    result = CliRunner().invoke(cli.main, [
        "scorecard", "--period", "2023-09", "--db", str(tmp_path / "pmo.db"), "--outputs", str(tmp_path / "out"),
        "--inputs", str(tmp_path), "--kpis", str(EXAMPLE_KPIS_XLSX), "--portfolio", str(EXAMPLE_PORTFOLIO_XLSX),
        "--activities", str(a), "--gateway", str(g)])
    assert result.exit_code == 1, result.output
    assert "Priority activities: 7 (1 overdue); Gateway Review commitments: 5" in result.output
    expected = [
        "activities.csv, row 2, column 'Directorate', cell A2: 'Planning' is not a directorate: use one of "
        "Chief Executive's Office, Economy and Growth, Place and Connectivity, Resources and Performance, "
        "Skills and Employment",
        "activities.csv, row 3, column 'RAG', cell F3: 'Purple' is not a RAG rating: use one of Green, "
        "Green/Amber, Amber, Amber/Red, Red",
        "activities.csv, row 4, column 'Due Date', cell E4: 'end of March' is not a date",
        "gateway.csv, row 3, column 'Due', cell D3: '31/13/2025' is not a real date",
    ]
    for line in expected:
        assert f"  - {line}" in result.stderr
    book = openpyxl.load_workbook(tmp_path / "out" / "2023-09" / "corporate_performance_report_2023-09.xlsx")
    assert [p["Code"] for p in problems_of(book)] == ["directorate", "rag", "date", "date"]
    assert summary_of(book)["Problems in the inputs (see Problems)"] == 4
    assert book["Gateway Review"]["A5"].value == "Covid Micro Grants"


def test_a_corporate_plan_sheet_missing_a_column_stops_with_exit_2(tmp_path):
    activities = [{k: v for k, v in r.items() if k != "RAG"} for r in rows_of("priority_activities.csv")]
    result = CliRunner().invoke(cli.main, [
        "scorecard", "--period", "2023-09", "--db", str(tmp_path / "pmo.db"), "--outputs", str(tmp_path / "out"),
        "--inputs", str(tmp_path), "--kpis", str(EXAMPLE_KPIS_XLSX), "--portfolio", str(EXAMPLE_PORTFOLIO_XLSX),
        "--activities", str(write_rows_csv(activities, tmp_path / "a.csv"))])
    assert result.exit_code == 2 and "missing column(s) 'RAG'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_gateway_review_section_lists_the_commitments(tmp_path):
    run = scorecard(tmp_path, EXAMPLE_KPIS_XLSX, PLAN_XLSX, PLAN_XLSX)
    ws = openpyxl.load_workbook(run.path)["Gateway Review"]
    cols = headers(ws)
    listed = [ws.cell(r, cols["Commitment"]).value for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value]
    assert listed == [r["Commitment"] for r in rows_of("gateway_review.csv")]
    university = row_of(ws, 1, "University of Peterborough")
    assert ws.cell(university, cols["Status"]).value == "At risk"
    assert ws.cell(university, cols["Due"]).value.date().isoformat() == "2025-10-31"


# ----------------------------------------------------------------------------- Most Complex list changes


def test_most_complex_list_says_what_was_added_and_removed_since_the_previous_report_and_why(tmp_path):
    rows = example_rows()
    office = office_for(tmp_path / "out", tmp_path / "pmo.db", portfolio=write_rows_csv(rows, tmp_path / "aug.csv"))
    first = office.scorecard(Period(2023, 8), EXAMPLE_KPIS_XLSX)
    assert first.changes.previous_period is None
    by_id = {r["Project ID"]: r for r in rows}
    by_id["CPCA-007"]["Most Complex"] = "No"
    by_id["CPCA-008"]["Most Complex"] = "Yes"
    by_id["CPCA-008"]["Most Complex Reason"] = "Member request: Cllr C. Patel, Combined Authority Board, 27/09/2023"
    office = office_for(tmp_path / "out", tmp_path / "pmo.db", portfolio=write_rows_csv(rows, tmp_path / "sep.csv"))
    run = office.scorecard(SEPTEMBER, EXAMPLE_KPIS_XLSX)
    assert [(c.project_id, c.reason) for c in run.changes.added] == [
        ("CPCA-008", "Member request: Cllr C. Patel, Combined Authority Board, 27/09/2023")]
    assert [(c.project_id, c.reason) for c in run.changes.removed] == [
        ("CPCA-007", "No longer flagged Most Complex on the portfolio")]
    ws = openpyxl.load_workbook(run.path)["Most Complex Projects"]
    added = row_of(ws, 1, "Added since August 2023")
    assert ws.cell(added + 1, 1).value == by_id["CPCA-008"]["Project Name"]
    assert ws.cell(added + 1, 2).value.startswith("Member request: Cllr C. Patel")
    removed = row_of(ws, 1, "Removed since August 2023")
    assert (ws.cell(removed + 1, 1).value, ws.cell(removed + 1, 2).value) == (
        "Market Town Masterplans", "No longer flagged Most Complex on the portfolio")
