"""The corporate performance report: the published September 2023 ratings, the KPI sheet's
errors, the workbook a performance officer opens, the Most Complex projects, and history."""

import sqlite3
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.config import Settings
from etl.office import Office
from etl.errors import ConfigError
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio
from etl.rules.kpi_rules import BASELINE, CONTEXTUAL
from etl.rules.rag import RED
from etl.cycle.scorecard import load_kpis, score_kpis
from etl.workbooks.inputs import write_kpis
from etl.workbooks.scorecard import NO_RETURN, committee_sheet_name
from etl.store.db import Store
from etl.workbooks.formats import RAG_COLOURS
from helpers_scorecard import (
    EXAMPLE_KPIS_CSV, EXAMPLE_KPIS_XLSX, kpi_rows, published_rows, store_example_returns, write_kpi_csv,
)

SEPTEMBER = Period(2023, 9)
SHEETS = [
    "Summary", "Balanced Scorecard", "Red KPIs", "Skills and Employment", "Environment & Sust. Communities",
    "Transport and Infrastructure", "Business Board", "Most Complex Projects", "Priority Activities",
    "Gateway Review", "Problems", "RAG Key",
]


def run(tmp_path, kpis=EXAMPLE_KPIS_XLSX, period=SEPTEMBER, db=None):
    office = Office(outputs=tmp_path / "out", db=db or tmp_path / "pmo.db", portfolio_path=EXAMPLE_PORTFOLIO_XLSX,
                    settings=Settings())
    return office.scorecard(period, kpis)


def header_positions(ws, header_row):
    return {c.value: c.column for c in ws[header_row] if c.value}


def find_row(ws, column, text):
    for cell in ws[openpyxl.utils.get_column_letter(column)]:
        if cell.value == text:
            return cell.row
    raise AssertionError(f"{text!r} not found in column {column} of {ws.title}")


def rules_by_range(ws):
    """Conditional-format range → {rated value: fill colour}."""
    out = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            value = rule.formula[0].strip('"')
            out.setdefault(str(cf.sqref), {})[value] = rule.dxf.fill.bgColor.rgb[-6:]
    return out


# ----------------------------------------------------------------------------- the published reference


def test_september_2023_reproduces_every_published_rag():
    """Every published RAG whose direction for improvement is ↑ or ↓; the three published
    without a rating are the KPIs the example marks Contextual or Baseline."""
    scored = {s.kpi.metric: s for s in score_kpis(load_kpis(EXAMPLE_KPIS_XLSX), SEPTEMBER)}
    published = published_rows()
    assert len(scored) == len(published) == 27
    checked = 0
    for row in published:
        s = scored[row["metric"]]
        assert s.travel == row["direction_of_travel"], row["metric"]
        if row["direction_for_improvement"] in ("↑", "↓"):
            assert s.kpi.direction == row["direction_for_improvement"]
            if row["rag_published"]:
                assert s.rag_direction == row["rag_published"], row["metric"]
                checked += 1
            else:
                assert s.rag_direction in (CONTEXTUAL, BASELINE) and s.kpi.status == s.rag_direction, row["metric"]
    assert checked == 23  # 26 KPIs with ↑ or ↓, of which 3 were published unrated


def test_metric_17_published_with_an_arrow_for_no_change_is_rated_higher_is_better():
    """Metric 17 (projects delivered on time) was published with → as its direction for
    improvement, which is a direction of travel, not a direction. The example records ↑ (a
    higher share on time is better), which gives the published Green; a sheet that keeps →
    is stopped with a message saying so."""
    published = next(r for r in published_rows() if r["metric"].startswith("Metric 17:"))
    assert published["direction_for_improvement"] == "→" and published["rag_published"] == "Green"
    kpi = next(s for s in score_kpis(load_kpis(EXAMPLE_KPIS_XLSX), SEPTEMBER) if s.kpi.metric.startswith("Metric 17:"))
    assert (kpi.kpi.direction, kpi.rag_direction) == ("↑", "Green")


def test_example_kpis_are_the_published_figures():
    published = {r["metric"]: r for r in published_rows()}
    kpis = load_kpis(EXAMPLE_KPIS_CSV)
    for kpi in kpis:
        row = published[kpi.metric]
        assert kpi.perspective == row["scorecard_perspective"]
        assert f"{kpi.previous:.6g}" == f"{_figure(row['previous_period']):.6g}"
        assert f"{kpi.current:.6g}" == f"{_figure(row['current_period']):.6g}"
    assert {k.committee for k in kpis} == {None, "Skills and Employment", "Environment and Sustainable Communities",
                                           "Transport and Infrastructure", "Business Board"}


def _figure(text):
    return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)


def test_committed_example_kpi_workbook_is_what_the_builder_makes(tmp_path):
    from etl.demo.examples import FIXED_TIME, text_records

    rebuilt = write_kpis(text_records(EXAMPLE_KPIS_CSV), tmp_path / "k.xlsx", created=FIXED_TIME)
    assert rebuilt.read_bytes() == EXAMPLE_KPIS_XLSX.read_bytes(), "run scripts/make_example_inputs.py"
    from_csv = [k.__dict__ | {"row": 0} for k in load_kpis(EXAMPLE_KPIS_CSV)]
    from_xlsx = [k.__dict__ | {"row": 0} for k in load_kpis(EXAMPLE_KPIS_XLSX)]
    assert from_xlsx == from_csv


def test_percentages_as_text_or_as_formatted_numbers():
    by_metric = {k.metric[:10]: k for k in load_kpis(EXAMPLE_KPIS_XLSX)}
    metric_8 = by_metric["Metric 8: "]
    assert metric_8.percent and metric_8.previous == pytest.approx(0.626) and metric_8.current == pytest.approx(0.6747)
    assert not by_metric["Metric 1: "].percent
    book = openpyxl.load_workbook(EXAMPLE_KPIS_XLSX)
    assert "%" in book["KPIs"].cell(metric_8.row, 9).number_format  # stored as a number formatted as %
    text = {k.metric[:10]: k for k in load_kpis(EXAMPLE_KPIS_CSV)}["Metric 8: "]
    assert text.percent and text.previous == pytest.approx(0.626)


# ----------------------------------------------------------------------------- a bad KPI sheet


def bad_sheet(tmp_path):
    """An officer's KPI sheet with one mistake on each of rows 2 to 10."""
    rows = kpi_rows()[:10]
    rows[0]["Direction for Improvement"] = "sideways"
    rows[1]["Direction for Improvement"] = "→"
    rows[2]["Current Period Performance"] = "n/a"
    rows[3]["Status"] = "Contextual"
    rows[3]["Target"] = "750"
    rows[4]["Status"] = "Paused"
    rows[5]["Committee"] = "Planning Committee"
    rows[6]["Previous Period Performance"] = "12.9 %x"
    rows[7]["Metric"] = rows[8]["Metric"]
    rows[9]["Current Period Performance"] = ""
    return write_kpi_csv(rows, tmp_path / "kpis.csv")


def test_every_bad_cell_is_reported_with_row_column_and_cell(tmp_path):
    kpis = load_kpis(bad_sheet(tmp_path))
    problems = [str(p) for k in kpis for p in k.problems]
    expected = [
        "kpis.csv, row 2, column 'Direction for Improvement', cell H2: 'sideways' is not a direction for improvement",
        "kpis.csv, row 3, column 'Direction for Improvement', cell H3: '→' is not a direction for improvement",
        "kpis.csv, row 4, column 'Current Period Performance', cell J4: 'n/a' is not a number",
        "kpis.csv, row 5, column 'Target', cell K5: a Target is given but Status is 'Contextual'",
        "kpis.csv, row 6, column 'Status', cell L6: 'Paused' is not a KPI status",
        "kpis.csv, row 7, column 'Committee', cell M7: 'Planning Committee' is not a thematic committee: use one "
        "of Skills and Employment, Environment and Sustainable Communities, Transport and Infrastructure, "
        "Business Board",
        "kpis.csv, row 8, column 'Previous Period Performance', cell I8: '12.9 %x' is not a number",
        "kpis.csv, row 9, column 'Metric', cell D9: duplicate Metric",
        "kpis.csv, row 10, column 'Metric', cell D10: duplicate Metric",
        "kpis.csv, row 11, column 'Current Period Performance', cell J11: Current Period Performance is blank",
    ]
    assert len(problems) == len(expected), problems
    for got, want in zip(problems, expected):
        assert got.startswith(want), (got, want)
    assert "direction of travel" in problems[1]
    assert [k.row for k in kpis if k.problems] == list(range(2, 12))
    assert {p.code for k in kpis for p in k.problems} == {
        "direction", "number", "target_with_status", "status", "committee", "field_uniqueness", "current_required"}


def test_a_kpi_too_large_to_be_a_figure_is_refused_not_overflowed(tmp_path):
    """`1e400` used to become infinity (issue 15, item 8): it is a problem naming the cell."""
    rows = kpi_rows()[:10]
    rows[0]["Current Period Performance"] = "1e400"
    kpis = load_kpis(write_kpi_csv(rows, tmp_path / "kpis.csv"))
    (problem,) = [p for k in kpis for p in k.problems]
    assert problem.code == "number"
    assert str(problem).startswith("kpis.csv, row 2, column 'Current Period Performance', cell J2: "
                                   "'1e400' is not a usable number: it is too large to be a real figure")


def test_bad_kpi_rows_are_not_rated_listed_as_problems_and_the_rest_is_built_exit_1(tmp_path):
    """One bad row does not sink the report: rows 2 to 11 are shown Not rated with their
    reason and listed on the Problems sheet; the other 17 KPIs are rated; exit 1."""
    import csv

    rows = kpi_rows()
    with open(bad_sheet(tmp_path), encoding="utf-8", newline="") as handle:
        mistakes = list(csv.DictReader(handle))  # rows 2 to 11, one mistake each
    sheet = write_kpi_csv(mistakes + rows[10:], tmp_path / "kpis.csv")
    result = CliRunner().invoke(cli.main, [
        "scorecard", "--kpis", str(sheet), "--period", "2023-09", "--db", str(tmp_path / "pmo.db"),
        "--outputs", str(tmp_path / "out"), "--portfolio", str(EXAMPLE_PORTFOLIO_XLSX), "--inputs", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "10 problem(s) in the inputs" in result.stderr
    assert result.stderr.count("  - kpis.csv, row ") == 10
    assert "Traceback" not in result.output
    book = openpyxl.load_workbook(tmp_path / "out" / "2023-09" / "corporate_performance_report_2023-09.xlsx")
    ws = book["Balanced Scorecard"]
    cols = header_positions(ws, 4)
    row = find_row(ws, cols["Metric"], rows[1]["Metric"])  # sheet row 3: → as direction for improvement
    assert ws.cell(row, cols["RAG vs Direction"]).value == "Not rated"
    assert ws.cell(row, cols["Data Release"]).value.startswith("Not rated: '→' is not a direction for improvement")
    rated = find_row(ws, cols["Metric"], rows[12]["Metric"])
    assert ws.cell(rated, cols["RAG vs Direction"]).value in ("Green", "Amber", "Red", "Baseline", "Contextual")
    problems = book["Problems"]
    listed = [(problems.cell(r, 3).value, problems.cell(r, 5).value, problems.cell(r, 8).value)
              for r in range(5, problems.max_row + 1) if problems.cell(r, 3).value]
    assert (3, "H3", "direction") in listed and len(listed) == 10
    with sqlite3.connect(tmp_path / "pmo.db") as con:  # only the good rows go into history
        assert con.execute("SELECT COUNT(*) FROM kpi_values").fetchone() == (17,)


def test_missing_kpi_sheet_and_missing_headers_exit_2(tmp_path):
    result = CliRunner().invoke(cli.main, ["scorecard", "--period", "2023-09", "--inputs", str(tmp_path)])
    assert result.exit_code == 2 and "kpis.xlsx: KPI sheet not found" in result.stderr
    rows = [{k: v for k, v in r.items() if k != "Direction for Improvement"} for r in kpi_rows()]
    with pytest.raises(ConfigError, match="missing column.*'Direction for Improvement'"):
        load_kpis(write_kpi_csv(rows, tmp_path / "k.csv"))


def test_optional_columns_may_be_left_out_and_words_are_accepted(tmp_path):
    optional = ("Target", "Status", "Committee", "Planned Actions", "Action Owner", "Action Due", "Comparator",
                "Comparator Value", "Comparator 2", "Comparator Value 2")
    rows = [{k: v for k, v in r.items() if k not in optional} for r in kpi_rows()[:3]]
    rows[0]["Direction for Improvement"] = "Higher"
    rows[1]["Direction for Improvement"] = "lower"
    kpis = load_kpis(write_kpi_csv(rows, tmp_path / "k.csv"))
    assert [k.direction for k in kpis] == ["↑", "↓", "↑"] and all(k.committee is None for k in kpis)


# ----------------------------------------------------------------------------- the workbook


@pytest.fixture(scope="module")
def september(tmp_path_factory):
    """The September 2023 report, with the Most Complex returns for July to September in the store."""
    tmp = tmp_path_factory.mktemp("september")
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    with Store(tmp / "pmo.db") as store:
        # CPCA-004 sent no September return (its August one is the latest); CPCA-007 none at all.
        store_example_returns(store, portfolio, tmp / "returns", projects=("CPCA-001", "CPCA-002", "CPCA-003",
                                                                          "CPCA-005", "CPCA-006"))
        store_example_returns(store, portfolio, tmp / "returns", periods=("2023-07", "2023-08"), projects=("CPCA-004",))
    result = run(tmp, db=tmp / "pmo.db")
    return result, openpyxl.load_workbook(result.path)


def test_sheet_names_and_scorecard_columns(september):
    result, book = september
    assert result.path.name == "corporate_performance_report_2023-09.xlsx"
    assert result.path.parent.name == "2023-09"
    assert book.sheetnames == SHEETS  # no trend data sheet: no earlier period on record
    ws = book["Balanced Scorecard"]
    headers = header_positions(ws, 4)
    for name in ("Metric", "Direction of Travel", "RAG vs Direction", "RAG vs Target", "Trend"):
        assert name in headers
    assert len(committee_sheet_name("Environment and Sustainable Communities")) <= 31


def test_scorecard_rows_are_grouped_like_appendix_3(september):
    _, book = september
    ws = book["Balanced Scorecard"]
    cols = header_positions(ws, 4)
    assert ws["A5"].value == "State of the Region (Shared Ownership)"
    assert "A5:R5" in {str(r) for r in ws.merged_cells.ranges}
    metric_2 = find_row(ws, cols["Metric"], "Metric 2: Total jobs in Cambridgeshire and Peterborough")
    assert ws.cell(metric_2 - 1, cols["Strategic Objective"]).value == "Achieving Good Growth"
    assert ws.cell(metric_2, cols["Strategic Objective"]).value is None  # shown once per group
    assert ws.cell(metric_2, cols["Direction of Travel"]).value == "↓"
    assert ws.cell(metric_2, cols["RAG vs Direction"]).value == "Red"
    assert ws.cell(metric_2, cols["RAG vs Target"]).value == "No target"
    assert ws.cell(metric_2, cols["Current Period Performance"]).value == 516000
    assert ws.cell(metric_2, cols["Change"]).value == -3000
    metric_8 = find_row(ws, cols["Metric"], next(r["metric"] for r in published_rows() if r["metric"].startswith("Metric 8:")))
    assert ws.cell(metric_8, cols["Current Period Performance"]).number_format == "0.00%"
    perspectives = [ws.cell(r, 1).value for r in range(5, ws.max_row + 1) if ws.cell(r, 1).fill.fgColor.rgb
                    and ws.cell(r, 1).fill.fgColor.rgb.endswith("1F3864")]
    assert perspectives == ["State of the Region (Shared Ownership)", "Internal Process (CPCA Ownership)",
                            "Learning and Growth (CPCA Ownership)", "Financial (CPCA Ownership)"]


def test_rating_columns_are_coloured_by_conditional_formats_with_blue(september):
    _, book = september
    ws = book["Balanced Scorecard"]
    cols = header_positions(ws, 4)
    rules = rules_by_range(ws)
    for header in ("RAG vs Direction", "RAG vs Target"):
        letter = openpyxl.utils.get_column_letter(cols[header])
        colours = rules[f"{letter}5:{letter}{ws.max_row - 2}"]
        for rating in ("Blue", "Green", "Amber", "Red"):
            assert colours[rating] == RAG_COLOURS[rating][0][1:]
        assert colours["Baseline"] == colours["Contextual"] == colours["In Development"] == "D9D9D9"


def test_red_kpis_sheet_lists_every_red_kpi_with_its_planned_actions(september):
    result, book = september
    ws = book["Red KPIs"]
    cols = header_positions(ws, 4)
    reds = sorted(s.kpi.metric for s in result.scored if RED in (s.rag_direction, s.rag_target))
    listed = sorted(ws.cell(r, cols["Metric"]).value for r in range(5, ws.max_row + 1) if ws.cell(r, cols["Metric"]).value)
    assert listed == reds and len(reds) == 10
    actions = cols["Planned actions to improve performance"]
    planned = {s.kpi.metric: s.kpi for s in result.scored}
    for r in range(5, 5 + len(reds)):
        kpi = planned[ws.cell(r, cols["Metric"]).value]
        assert ws.cell(r, actions).value == kpi.planned_actions and kpi.planned_actions
        assert ws.cell(r, cols["Action Owner"]).value == kpi.action_owner
        assert ws.cell(r, cols["Action Due"]).value.date() == kpi.action_due
    assert ws.cell(5, cols["Ownership"]).value in ("All", "CPCA")
    assert ws.cell(5, cols["Previous Period Performance"]).value is not None


def test_one_sheet_per_committee_with_its_kpis_and_red_exceptions(september):
    result, book = september
    for committee in ("Skills and Employment", "Environment and Sustainable Communities",
                      "Transport and Infrastructure", "Business Board"):
        ws = book[committee_sheet_name(committee)]
        mine = [s for s in result.scored if s.kpi.committee == committee]
        assert mine
        metrics = [ws.cell(r, 3).value for r in range(6, ws.max_row + 1)]
        exception_header = next(r for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value == "Exception report: Red KPIs")
        dashboard = [m for m in metrics[: exception_header - 6] if m]
        exceptions = [ws.cell(r, 3).value for r in range(exception_header + 2, ws.max_row + 1) if ws.cell(r, 3).value]
        assert dashboard == [s.kpi.metric for s in mine]
        assert exceptions == [s.kpi.metric for s in mine if s.is_red]
    assert "Committee" in book["Skills and Employment"]["A1"].value
    assert book["Business Board"]["A1"].value.startswith("Business Board: ")


def test_most_complex_projects_from_the_latest_accepted_returns(september):
    _, book = september
    ws = book["Most Complex Projects"]
    cols = header_positions(ws, 4)
    rows = {ws.cell(r, 1).value: r for r in range(5, 12)}
    assert list(rows) == ["Peterborough Station Quarter", "University of Peterborough", "Net Zero Programme",
                          "Bus Reform Programme", "Adult Education Provision", "Business Growth Service",
                          "Market Town Masterplans"]
    published = {r["project"]: r for r in _published_projects()}
    for name in ("Peterborough Station Quarter", "University of Peterborough", "Net Zero Programme",
                 "Adult Education Provision", "Business Growth Service"):
        row = rows[name]
        assert ws.cell(row, cols["RAG"]).value == published[name]["rag"]
        assert ws.cell(row, cols["Direction of Travel"]).value == published[name]["direction_of_travel"]
        assert ws.cell(row, cols["Number 1 risk"]).value == published[name]["number_1_risk"]
        assert ws.cell(row, cols["Mitigation"]).value == published[name]["mitigation"]
        assert ws.cell(row, cols["Next key milestone"]).value.startswith(published[name]["next_key_milestone"][:20])
        assert ws.cell(row, cols["Return for"]).value == "September 2023"
    station = rows["Peterborough Station Quarter"]
    assert ws.cell(station, cols["Update/narrative on status"]).value.startswith("Peterborough City Council appointed Arup")
    outcomes = ws.cell(station, cols["Outcomes and Impacts"])
    assert outcomes.value.startswith("- New Access to Western Entrance") and outcomes.data_type == "s"  # text, not a formula
    # The latest return is August's: shown, and said to be August's.
    bus = rows["Bus Reform Programme"]
    assert ws.cell(bus, cols["Return for"]).value == "August 2023" and ws.cell(bus, cols["RAG"]).value == "Green"
    # No return at all: listed, not dropped.
    market = rows["Market Town Masterplans"]
    assert ws.cell(market, cols["Update/narrative on status"]).value == NO_RETURN
    assert ws.cell(market, cols["RAG"]).value is None
    rag_letter = openpyxl.utils.get_column_letter(cols["RAG"])
    assert rules_by_range(ws)[f"{rag_letter}5:{rag_letter}11"]["Amber/Red"] == RAG_COLOURS["Amber/Red"][0][1:]


def _published_projects():
    import csv
    from pathlib import Path

    with open(Path(__file__).parent / "data" / "cpca_most_complex_projects_sep23.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_direction_of_travel_of_a_project_comes_from_its_previous_return(tmp_path):
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    with Store(tmp_path / "pmo.db") as store:
        store_example_returns(store, portfolio, tmp_path / "r", periods=("2023-07", "2023-08"), projects=("CPCA-002",))
    result = run(tmp_path, period=Period(2023, 8))
    university = next(p for p in result.projects if p.project_id == "CPCA-002")
    assert (university.rag, university.travel) == ("Amber", "↑")  # Amber/Red in July


def test_rag_key_has_appendix_5(september):
    _, book = september
    ws = book["RAG Key"]
    values = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    for text in ("RAG rating compared to Direction for Improvement", "RAG rating compared to Target",
                 "Blue", "Baseline", "Contextual", "In Development"):
        assert text in values
    blue = values.index("Blue") + 1
    assert ws.cell(blue, 2).value == "Current performance is on target by more than 5%"


def test_print_setup_is_a4_landscape_with_footer(september):
    _, book = september
    for name in SHEETS:
        ws = book[name]
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape", name
        assert "&P" in ws.oddFooter.right.text and "September 2023" in ws.oddFooter.center.text


def test_the_report_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    import etl.workbooks.scorecard as report

    first = run(tmp_path)
    before = first.path.read_bytes()

    def broken(ws, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_key_sheet", broken)
    with pytest.raises(RuntimeError):
        run(tmp_path, period=SEPTEMBER)
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in first.path.parent.iterdir()) == sorted([first.path.name, first.paper_path.name])


# ----------------------------------------------------------------------------- history in the store


@pytest.mark.filterwarnings("ignore:Sparkline Group extension:UserWarning")  # openpyxl cannot read them
def test_kpi_values_are_recorded_and_feed_the_next_period(tmp_path):
    db = tmp_path / "pmo.db"
    june = kpi_rows()
    for row in june:  # June reported the release before September's (2020 data for Metric 2)
        row["Current Period Performance"], row["Previous Period Performance"] = row["Previous Period Performance"], ""
        row["Date of Latest Available Data"] = f"{row['Date of Latest Available Data']} (earlier)"
    run(tmp_path, kpis=write_kpi_csv(june, tmp_path / "june.csv"), period=Period(2023, 6), db=db)
    september = kpi_rows()
    september[1]["Previous Period Performance"] = ""  # Metric 2: take the earlier release's figure from the store
    result = run(tmp_path, kpis=write_kpi_csv(september, tmp_path / "sep.csv"), db=db)
    # and again: a re-run replaces the period's values, it does not add to them
    result = run(tmp_path, kpis=write_kpi_csv(september, tmp_path / "sep.csv"), db=db)

    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT period, COUNT(*) FROM kpi_values GROUP BY period ORDER BY period").fetchall()
        metric_2 = con.execute("SELECT value, previous_value, rag_direction FROM kpi_values WHERE period = '2023-09'"
                               " AND metric LIKE 'Metric 2:%'").fetchone()
    assert rows == [("2023-06", 27), ("2023-09", 27)]
    assert metric_2 == (516000.0, 519000.0, "Red")
    scored = next(s for s in result.scored if s.kpi.metric.startswith("Metric 2:"))
    assert scored.previous_from_history and scored.history == (("2023-06", 519000.0), ("2023-09", 516000.0))

    book = openpyxl.load_workbook(result.path)
    assert book.sheetnames == SHEETS + ["Trend Data"] and book["Trend Data"].sheet_state == "hidden"
    data = book["Trend Data"]
    assert [c.value for c in data[1]] == ["Metric", "2023-06", "2023-09"]
    assert data["A3"].value.startswith("Metric 2:") and (data["B3"].value, data["C3"].value) == (519000, 516000)
    ws = book["Balanced Scorecard"]
    cols = header_positions(ws, 4)
    row = find_row(ws, cols["Metric"], scored.kpi.metric)
    assert "on record (2021 (earlier) data, reported June 2023)" in ws.cell(
        row, cols["Previous Period Performance"]).comment.text
    assert ws.cell(row, cols["Previous Figure From"]).value == "2021 (earlier) data, reported June 2023"
    assert ws.cell(row, cols["Data Release"]).value == "New data"
    with zipfile.ZipFile(result.path) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()  # sheet 1 is the Summary
    assert sheet.count("<x14:sparkline>") == 27
    assert f"<xm:f>'Trend Data'!B3:C3</xm:f><xm:sqref>O{row}</xm:sqref>" in sheet


def test_a_failed_run_records_nothing(tmp_path, monkeypatch):
    import etl.workbooks.scorecard as report

    monkeypatch.setattr(report, "_red_sheet", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        run(tmp_path)
    with sqlite3.connect(tmp_path / "pmo.db") as con:
        assert con.execute("SELECT COUNT(*) FROM kpi_values").fetchone() == (0,)


# ----------------------------------------------------------------------------- command and demo


def test_pmo_scorecard_prints_a_summary(tmp_path):
    result = CliRunner().invoke(cli.main, [
        "scorecard", "--period", "2023-09", "--db", str(tmp_path / "pmo.db"), "--outputs", str(tmp_path / "out"),
        "--inputs", str(EXAMPLE_KPIS_XLSX.parent)])
    assert result.exit_code == 0, result.output
    assert "27 KPIs for September 2023" in result.output and "10 Red KPIs" in result.output
    assert "13 Green" in result.output and "Most Complex projects: 7 (0 with a return on record;" in result.output
    assert "Red without planned actions: 0" in result.output
    assert "Priority activities: 10 (1 overdue); Gateway Review commitments: 6" in result.output
    assert (tmp_path / "out" / "2023-09" / "corporate_performance_report_2023-09.xlsx").exists()
    assert (tmp_path / "out" / "2023-09" / "corporate_performance_report_2023-09.docx").exists()


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    rows = kpi_rows()[:2]
    rows[0]["Metric"] = "=HYPERLINK(\"http://x\")"
    rows[1]["Indicator of Progress"] = "+44 calls"
    result = run(tmp_path, kpis=write_kpi_csv(rows, tmp_path / "k.csv"))
    ws = openpyxl.load_workbook(result.path)["Balanced Scorecard"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+"]
    assert {c.value for c in cells} == {"=HYPERLINK(\"http://x\")", "+44 calls"}
    assert all(c.data_type == "s" for c in cells)


def test_demo_builds_the_corporate_performance_report(tmp_path):
    from etl.demo.runner import DEMO_PERIOD, run_demo

    ctx = run_demo(outputs_dir=tmp_path / "out")
    path = tmp_path / "out" / str(DEMO_PERIOD) / f"corporate_performance_report_{DEMO_PERIOD}.xlsx"
    assert path in ctx.files
    book = openpyxl.load_workbook(path)
    ws = book["Most Complex Projects"]
    assert ws.cell(12, 1).value is None and ws.cell(11, 1).value  # seven projects
    assert all(ws.cell(r, 5).value == NO_RETURN or ws.cell(r, 3).value for r in range(5, 12))
    assert all(ws.cell(r, 12).value for r in range(5, 12))  # each says why it is on the list
    # every section is filled from the bundled example inputs
    activities = book["Priority Activities"]
    overdue = find_row(activities, 1, "Overdue")
    assert activities.cell(overdue, 2).value >= 1
    assert book["Gateway Review"]["A5"].value == "Covid Micro Grants"
    assert book["Problems"]["A5"].value.startswith("No problems")
    paper = path.with_suffix(".docx")
    assert paper in ctx.files


def test_previous_figure_from_history_is_the_release_before_and_names_it():
    """The sheet leaves the previous figure blank: it is the latest earlier release with a
    value (one without, e.g. In Development then, is passed over), and the KPI says which."""
    import dataclasses

    from etl.cycle.scorecard import score_kpi
    from etl.store.kpis import Release

    kpi = dataclasses.replace(load_kpis(EXAMPLE_KPIS_CSV)[1], previous=None)  # 2021 data, 516,000
    releases = [Release(kpi.metric, "2019", 519000.0, None, None, None, None, None, None, "2023-03"),
                Release(kpi.metric, "2020", None, None, None, None, None, None, None, "2023-06")]
    scored = score_kpi(kpi, "2023-09", releases)
    assert scored.previous == 519000.0 and scored.previous_from == "2019 data, reported March 2023"
    assert scored.previous_from_history and scored.rag_direction == RED and scored.release_note == "New data"
    assert score_kpi(kpi, "2023-09", []).previous_from is None
