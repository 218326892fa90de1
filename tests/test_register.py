"""The Single Project Register: built from the portfolio and the store, checked cell by cell.

The workbook is opened with openpyxl, as an officer's other tools would; charts (which
openpyxl cannot read back) are checked in the file's chart XML.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
import etl.workbooks.register as register_workbook
from etl.office import Office
from etl.config import Settings
from etl.cycle.portfolio import load_portfolio, reporting_plan
from etl.rules.rag import RAG_SCALE, direction_of_travel, is_escalated
from etl.cycle.register import (
    CATEGORIES, NO_RAG, build_register, carried_label, rag_breakdown, register_path, slippage_days, with_period,
)
from etl.workbooks.register import SHEETS, write_register
from etl.store.db import Store
from etl.workbooks.formats import RAG_COLOURS, wrapped_lines
from helpers_register import AS_OF, DUE, FORMULA_LIKE, MAR25, PERIOD, build_case, full, simplified
from helpers_store import store_return

IDS = [f"R-{n:02d}" for n in range(1, 11)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def case(tmp_path_factory, request):
    """The register built from a store on each backend (the tests using it run on both)."""
    folder = tmp_path_factory.mktemp("register")
    store = request.getfixturevalue("pg_cluster").new_database() if request.param == "postgresql" else None
    portfolio, db = build_case(folder, store)
    office = Office(outputs=folder / "outputs", db=db, portfolio_path=portfolio, settings=Settings())
    path, register = office.register(PERIOD, AS_OF)
    return {"folder": folder, "portfolio": portfolio, "db": db, "path": path, "register": register,
            "book": load_workbook(path)}


def records(ws) -> list[dict[str, object]]:
    """A list sheet's rows keyed by its header row (blank cells as None)."""
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def day(value):
    return value.date() if isinstance(value, dt.datetime) else value


# ------------------------------------------------------------------ pure rules

def test_slippage_is_forecast_minus_agreed():
    assert slippage_days(dt.date(2025, 3, 31), dt.date(2025, 6, 30)) == 91
    assert slippage_days(dt.date(2025, 3, 31), dt.date(2025, 3, 1)) == -30
    assert slippage_days(None, dt.date(2025, 3, 1)) is None


def test_carried_label_names_the_period_the_rag_came_from():
    assert carried_label("2024-09", PERIOD) == "2024-09"
    assert carried_label("2024-06", PERIOD) == "2024-06 (carried forward)"


def test_breakdown_counts_every_row_once():
    rows = [{"rag": "Red", "district": "Fenland"}, {"rag": None, "district": "Fenland"},
            {"rag": "Green", "district": None}]
    lines = {line["name"]: line for line in rag_breakdown(rows, "district")}
    assert lines["Fenland"]["Red"] == 1 and lines["Fenland"][NO_RAG] == 1 and lines["Fenland"]["total"] == 2
    assert lines["(not set)"]["Green"] == 1


def test_wrapped_lines_estimate():
    assert wrapped_lines(None, 10) == 1
    assert wrapped_lines("short", 10) == 1
    assert wrapped_lines("x" * 100, 10) == 10
    assert wrapped_lines("one\ntwo\nthree", 40) == 3


# ------------------------------------------------------------------ the workbook

def test_sheets_and_path(case):
    assert case["path"] == case["folder"] / "outputs" / "2024-09" / "single_project_register_2024-09.xlsx"
    assert case["book"].sheetnames == list(SHEETS)
    assert register_path("out", PERIOD).as_posix() == "out/2024-09/single_project_register_2024-09.xlsx"


def expected_from_store(store: Store, portfolio, project_id: str) -> dict[str, object]:
    """What the register should say for a project, worked out directly from the store."""
    plan = reporting_plan(portfolio, PERIOD).loc[project_id]
    current = store.returns_for(project_id, PERIOD)
    current = [r for r in current if r["superseded_by"] is None]
    got = current[0] if current else None
    if plan["stage"] == "Closed":
        status = "Closed"
        shown = store.latest_return(project_id, before=PERIOD.shift(1))
    elif plan["stage"] == "Pipeline":
        status = "Paused"
    elif got:
        status = "Received late" if dt.datetime.fromisoformat(got["received_at"]).date() > DUE else "Received"
    else:
        status = "Missing" if plan["due"] else "Not due"
    shown = got if got else (None if status == "Missing" else store.latest_return(project_id, before=PERIOD.shift(1)))
    rag = shown["rag_this_period"] if shown else None
    before = store.latest_return(project_id, before=shown["period"] if shown else PERIOD)
    previous = before["rag_this_period"] if before else None
    direction = direction_of_travel(rag, previous)
    label = carried_label(shown["period"], PERIOD) if shown else None
    if status == "Closed" and shown:
        label = f"{shown['period']} (final)"
    last = store.latest_return(project_id, before=PERIOD.shift(1))
    return {
        "Return Status": status,
        "RAG (this period)": rag,
        "RAG Period": label,
        "RAG (previous)": with_period(previous, before["period"] if before else None),
        "Direction of Travel": direction,
        "Escalate": "Yes" if status != "Closed" and is_escalated(rag, direction) else "No",
        "PM Update": shown["pm_update"] if shown else None,
        "Forecast Completion Date": dt.date.fromisoformat(shown["forecast_completion_date"]) if shown else None,
        "Last Return Received": dt.datetime.fromisoformat(last["received_at"]).date() if last else None,
    }


def test_register_rows_match_the_store_row_by_row(case):
    rows = records(case["book"]["Register"])
    portfolio = load_portfolio(case["portfolio"])
    assert [r["Project ID"] for r in rows] == list(portfolio.index)  # none dropped, none doubled, in order
    with Store(case["db"]) as store:
        for row in rows:
            expected = expected_from_store(store, portfolio, row["Project ID"])
            actual = {k: day(row[k]) for k in expected}
            assert actual == expected, row["Project ID"]
            source = portfolio.loc[row["Project ID"]]
            assert row["Project Name"] == source["project_name"]
            assert row["Directorate"] == source["directorate"] and row["District"] == source["district"]
            assert row["Delivery Cost (£)"] == source["delivery_cost"]
            assert row["Project Manager"] == source["project_manager"]
            assert row["Internal Representative"] == source["internal_representative"]


def test_register_covers_every_status_direction_and_escalation(case):
    rows = {r["Project ID"]: r for r in records(case["book"]["Register"])}
    pick = lambda pid: (rows[pid]["Return Status"], rows[pid]["RAG (this period)"], rows[pid]["RAG Period"],  # noqa: E731
                        rows[pid]["Direction of Travel"], rows[pid]["Escalate"])
    assert pick("R-01") == ("Received", "Amber", "2024-09", "↓", "Yes")
    assert pick("R-02") == ("Received", "Red", "2024-09", "→", "Yes")
    assert pick("R-03") == ("Received late", "Green", "2024-09", "↑", "No")
    assert pick("R-04") == ("Received", "Green/Amber", "2024-09", None, "No")
    assert pick("R-05") == ("Missing", None, None, None, "No")
    assert pick("R-06") == ("Not due", "Amber", "2024-08 (carried forward)", "↑", "No")
    assert pick("R-07") == ("Paused", None, None, None, "No")
    # A closed project is listed with its final RAG and the period it closed in.
    assert pick("R-08") == ("Closed", "Green", "2024-08 (final)", None, "No")
    assert rows["R-08"]["Closed In"] == "2024-09" and rows["R-01"]["Closed In"] is None
    assert pick("R-09") == ("Missing", None, None, None, "No")
    assert pick("R-10") == ("Received", "Amber/Red", "2024-09", "↓", "Yes")
    # The previous RAG says which period it came from; the direction says what it compared.
    assert rows["R-05"]["RAG (previous)"] == "Amber/Red (2024-08)"  # the last known RAG, still shown
    assert rows["R-01"]["RAG (previous)"] == "Green (2024-08)" and rows["R-01"]["Compared With"] == "2024-09 with 2024-08"
    assert rows["R-10"]["RAG (previous)"] == "Amber (2024-06)" and rows["R-10"]["Compared With"] == "2024-09 with 2024-06"
    assert rows["R-04"]["Compared With"] == "2024-09: no earlier return"
    # The full report's figures; the simplified report's top risk is its highest-rated one.
    assert (rows["R-01"]["Budget Approved (£)"], rows["R-01"]["Spend to Date (£)"]) == (1_000_000, 250_000)
    assert rows["R-01"]["Slippage (days)"] == 91 and rows["R-01"]["Top Risk"] == "Utility diversions"
    assert rows["R-10"]["Budget Approved (£)"] is None and rows["R-10"]["Top Risk"] == "Funding gap"
    assert rows["R-10"]["Next Key Milestone"] == "Options appraisal"


def test_text_that_looks_like_a_formula_stays_text(case):
    ws = case["book"]["Register"]
    header = [c.value for c in ws[1]]
    col = header.index("PM Update") + 1
    found = {}
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row, col)
        found[ws.cell(row, 1).value] = (cell.value, cell.data_type)
    for pid, text in FORMULA_LIKE.items():
        assert found[pid] == (text, "s")
    with zipfile.ZipFile(case["path"]) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode()


def test_escalations_list_red_and_worsening_projects_worst_first(case):
    rows = records(case["book"]["Escalations"])
    assert [r["Project ID"] for r in rows] == ["R-02", "R-10", "R-01"]
    by_id = {r["Project ID"]: r for r in rows}
    assert by_id["R-02"]["Why Escalated"] == "Red"
    assert by_id["R-01"]["Why Escalated"] == "Worse than before (Green (2024-08) → Amber)"
    assert by_id["R-10"]["RAG (previous)"] == "Amber (2024-06)"
    assert by_id["R-01"]["PM Update"] == FORMULA_LIKE["R-01"] and by_id["R-01"]["Top Risk"] == "Utility diversions"
    assert by_id["R-01"]["Top Risk Mitigation"] == "Weekly progress meetings"


def test_missing_returns_is_the_chase_list(case):
    rows = records(case["book"]["Missing Returns"])
    assert [r["Project ID"] for r in rows] == ["R-05", "R-09"]
    r05 = rows[0]
    assert r05["Project Manager"] == "Pat Manager05" and r05["Project Manager Email"] == "pm05@partner.example.org"
    assert r05["Internal Representative Email"] == "rep05@authority.example.gov.uk"
    assert day(r05["Due Date"]) == DUE and r05["Days Overdue"] == (AS_OF - DUE).days == 11
    assert r05["Rejected Files"] == 1 and r05["Note"] == "1 file was rejected and not yet corrected"
    assert r05["Last Known RAG"] == "Amber/Red (2024-08)" and day(r05["Last Return Received"]) == dt.date(2024, 9, 13)
    assert rows[1]["Rejected Files"] == 0 and rows[1]["Note"] is None


def test_changes_since_the_previous_period(case):
    ws = case["book"]["Changes"]
    assert ws.oddHeader.center.text == "Changes since the register for 2024-08: September 2024"  # printed atop
    by_id = {(r["Project ID"], r["Change"]): r["Detail"] for r in records(ws)}
    assert by_id[("R-09", "Added")] == "New on the portfolio since the register for 2024-08"
    assert by_id[("R-10", "RAG changed")] == "Worsened since the 2024-06 return"
    rows = [(r["Project ID"], r["Change"], day(r["From"]), day(r["To"])) for r in records(case["book"]["Changes"])]
    assert rows == [
        ("R-01", "RAG changed", "Green", "Amber"),
        ("R-03", "RAG changed", "Amber", "Green"),
        ("R-10", "RAG changed", "Amber", "Amber/Red"),
        ("R-01", "Forecast slipped", "31/03/2025", "30/06/2025"),
        ("R-09", "Added", None, "Delivery"),
        ("R-08", "Closed", "Delivery", "Closed"),
    ]


def test_summary_counts_and_header(case):
    ws = case["book"]["Summary"]
    cells = {}
    for row in ws.iter_rows(values_only=True):
        if isinstance(row[0], str) and row[1] is not None:
            cells.setdefault(row[0], row[1])
    assert ws["A1"].value == "Single Project Register: September 2024"
    assert cells["Period"] == "2024-09 (September 2024)" and day(cells["Position as at"]) == AS_OF
    assert isinstance(cells["Built"], dt.datetime)
    assert cells["Data freshness"] == "5 returns for 2024-09; latest return received 20/10/2024 09:00"
    assert (cells["Live projects (counted)"], cells["Returns due"], cells["Received on time"],
            cells["Received late"], cells["Awaited (not yet due)"], cells["Missing (past the due date)"],
            cells["Not due this period"], cells["Paused (pipeline)"], cells["Closed (listed, not counted)"],
            cells["Escalated"], cells["Changes since the register for 2024-08"]) == (9, 7, 4, 1, 0, 2, 1, 1, 1, 3, 6)
    # Live projects only: R-08 (closed) is listed but not counted; R-07 (pipeline) is Paused.
    rag = {row[3]: row[4] for row in ws.iter_rows(min_row=10, max_row=24, values_only=True) if row[3]}
    assert {k: rag[k] for k in CATEGORIES} == {
        "Green": 1, "Green/Amber": 1, "Amber": 2, "Amber/Red": 1, "Red": 1, "Not rated": 0, "Paused": 1, NO_RAG: 2}
    notes = [row[3] for row in ws.iter_rows(values_only=True) if isinstance(row[3], str)]
    assert any(n.startswith("RAG this period counts the 9 live projects. The 1 closed project is listed") for n in notes)
    # Breakdown tables: by directorate, service and district, each with a total line of 10.
    values = [row for row in ws.iter_rows(values_only=True)]
    headers = [row[0] for row in values if row[1] == "Green"]
    assert headers[:3] == ["Directorate", "Service", "District"]
    place = next(row for row in values if row[0] == "Place")
    # Green, G/A, Amber, A/R, Red, Not rated, Paused, No RAG, Total (R-08, closed, not counted)
    assert place[1:10] == (1, 0, 1, 0, 1, 0, 1, 1, 5)
    assert [row[9] for row in values if row[0] == "Total" and row[9] is not None] == [9, 9, 9]


def test_summary_trend_covers_twelve_periods_ending_with_this_one(case):
    register = case["register"]
    assert [str(p) for p, _ in register.trend][0] == "2023-10" and register.trend[-1][0] == PERIOD
    assert register.trend[-1][1] == register.rag_counts()
    # August as its own register recorded it: R-08 still live, R-09 not yet on the portfolio.
    aug = dict(register.trend)[PERIOD.shift(-1)]
    assert aug == {"Green": 2, "Green/Amber": 0, "Amber": 3, "Amber/Red": 1, "Red": 1, "Not rated": 0,
                   "Paused": 1, NO_RAG: 1}
    # June had no register: worked out from the store, only had reported by then.
    june = dict(register.trend)[PERIOD.shift(-3)]
    assert june == {**{c: 0 for c in CATEGORIES}, "Amber/Red": 1, "Amber": 1}
    ws = case["book"]["Summary"]
    labels = [row[0] for row in ws.iter_rows(values_only=True)]
    at = labels.index("Sep 2024")
    assert labels[at - 11] == "Oct 2023"
    assert [c.value for c in ws[at + 1]][1:9] == [1, 1, 2, 1, 1, 0, 1, 2]


def test_rag_columns_coloured_by_conditional_formats_over_whole_columns(case):
    book = case["book"]
    expected = {f'"{r}"': ("FF" + RAG_COLOURS[r][0][1:], "FF" + RAG_COLOURS[r][1][1:]) for r in RAG_SCALE}
    wanted = {"Register": {"F2:F1048576"}, "Escalations": {"D2:D1048576"},
              "Changes": {"E2:E1048576", "F2:F1048576"}, "Missing Returns": set()}
    # Previous RAGs carry their period ("Amber (2024-07)"): coloured by the rating they begin with,
    # the two-colour ratings first, each stopping there.
    labelled = {"Register": {"H2:H1048576"}, "Escalations": {"E2:E1048576"}, "Missing Returns": {"N2:N1048576"},
                "Changes": set()}
    order = ["Green/Amber (", "Amber/Red (", "Green (", "Amber (", "Red ("]
    for sheet, ranges in wanted.items():
        found, begins = {}, {}
        for cf in book[sheet].conditional_formatting:
            found[str(cf.sqref)] = {r.formula[0]: (r.dxf.fill.bgColor.rgb if r.dxf.fill else None, r.dxf.font.color.rgb)
                                    for r in cf.rules if r.type == "cellIs"}
            rules = sorted((r for r in cf.rules if r.type == "beginsWith"), key=lambda r: r.priority)
            if rules:
                begins[str(cf.sqref)] = [(r.text, r.stopIfTrue, r.dxf.fill.bgColor.rgb) for r in rules]
        rag_ranges = {r for r, rules in found.items() if '"Green"' in rules}
        assert rag_ranges == ranges, sheet
        for cf_range in rag_ranges:
            assert found[cf_range] == expected
        assert set(begins) == labelled[sheet], sheet
        for rules in begins.values():
            assert rules == [(t, True, expected[f'"{t[:-2]}"'][0]) for t in order]
    header = [c.value for c in book["Register"][1]]
    assert header[5] == "RAG (this period)" and header[7] == "RAG (previous)"


def test_arrows_and_escalations_flagged_by_font_colour(case):
    flags = {}
    for cf in case["book"]["Register"].conditional_formatting:
        for rule in cf.rules:
            if rule.formula[0] in ('"↑"', '"↓"', '"Yes"'):
                flags[(str(cf.sqref), rule.formula[0])] = rule.dxf.font.color.rgb
    assert flags == {("I2:I1048576", '"↑"'): "FF00B050", ("I2:I1048576", '"↓"'): "FFC00000",
                     ("K2:K1048576", '"Yes"'): "FFC00000"}


def test_lists_have_frozen_filtered_headers_and_print_setup(case):
    book = case["book"]
    for name in SHEETS[1:]:
        ws = book[name]
        assert ws.freeze_panes == "C2", name  # header row, Project ID and Project Name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws.print_title_rows == "$1:$1", name
    for name in SHEETS:
        ws = book[name]
        assert ws.page_setup.orientation == "landscape", name
        if name == "Register":
            # 30-odd columns: A3 at 75%, three pages across, the Project ID and Name on each.
            assert ws.page_setup.paperSize == 8 and ws.page_setup.scale == 75
            assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
            header = [c.value for c in ws[1]]
            assert [b.id for b in ws.col_breaks.brk] == [header.index("Programme"), header.index("Next Key Milestone")]
            assert ws.print_title_cols == "$A:$B"
        else:
            assert ws.page_setup.paperSize == 9, name
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, name
        assert (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text) == (
            "&F", "Period 2024-09", "Page &P of &N"), name


def test_dates_money_and_arrows_formats(case):
    ws = case["book"]["Register"]
    header = [c.value for c in ws[1]]
    fmt = {h: ws.cell(2, header.index(h) + 1).number_format for h in header}
    for h in ("Agreed Completion Date", "Forecast Completion Date", "Next Key Milestone Date", "Last Return Received"):
        assert fmt[h] == "dd/mm/yyyy"
    for h in ("Delivery Cost (£)", "Budget Approved (£)", "Spend to Date (£)", "Forecast Outturn (£)"):
        assert fmt[h] == "£#,##0"
    arrow = ws.cell(2, header.index("Direction of Travel") + 1)
    assert arrow.value == "↓" and arrow.alignment.horizontal == "center"


def test_charts_are_native_excel_charts_in_rag_colours(case):
    with zipfile.ZipFile(case["path"]) as archive:
        charts = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        assert len(charts) == 2
        distribution, trend = (archive.read(n).decode() for n in charts)
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    assert drawing.count("<c:chart ") == 2
    colours = re.findall(r'<c:dPt>.*?<a:srgbClr val="([0-9A-F]{6})"', distribution)
    assert colours == [RAG_COLOURS[r][0][1:] for r in RAG_SCALE] + ["9DC3E6", "D9D2E9", "BFBFBF"]
    assert "<c:barChart>" in distribution and "Summary!$E$" in distribution
    assert '<c:grouping val="stacked"/>' in trend and trend.count("<c:ser>") == 5
    series = re.findall(r'<c:ser>.*?<a:srgbClr val="([0-9A-F]{6})"', trend)
    assert series == [RAG_COLOURS[r][0][1:] for r in RAG_SCALE]


def test_empty_store_shows_every_due_project_missing(tmp_path):
    portfolio_path, _ = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    with Store(tmp_path / "empty.db") as store:
        register = build_register(portfolio, store, PERIOD, AS_OF, Settings())
    status = {r["project_id"]: r["status"] for r in register.rows}
    due = reporting_plan(portfolio, PERIOD)["due"]
    assert all(status[pid] == "Missing" for pid in due.index[due] if pid != "R-08")
    assert status["R-07"] == "Paused" and status["R-08"] == "Closed" and status["R-06"] == "Not due"
    assert all(r["rag"] is None for r in register.rows) and register.escalations == []
    path = write_register(register, tmp_path / "empty.xlsx")
    book = load_workbook(path)
    assert book["Escalations"]["A2"].value == "No project is escalated this period."
    assert "no earlier register was built" in book["Changes"]["A2"].value


def test_closed_project_is_not_escalated_but_red_carried_forward_is(tmp_path):
    portfolio_path, db = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    with Store(db) as store:
        # Resubmissions for August: R-08 (now closed) and R-06 (not due in September) both Red.
        store_return(store, portfolio, "R-08", PERIOD.shift(-1), full("Red", "Closing down", MAR25), tmp_path / "more",
                     received=dt.date(2024, 9, 13))
        store_return(store, portfolio, "R-06", PERIOD.shift(-1), simplified("Red", "Stalled", MAR25), tmp_path / "more",
                     received=dt.date(2024, 9, 13))
        rows = {r["project_id"]: r for r in build_register(portfolio, store, PERIOD, AS_OF, record=False).rows}
    assert (rows["R-08"]["rag"], rows["R-08"]["status"], rows["R-08"]["escalate"]) == ("Red", "Closed", "No")
    assert (rows["R-06"]["rag"], rows["R-06"]["rag_period"], rows["R-06"]["escalate"]) == (
        "Red", "2024-08 (carried forward)", "Yes")


def test_a_failed_write_leaves_the_previous_register(case, monkeypatch, tmp_path):
    target = tmp_path / "register.xlsx"
    write_register(case["register"], target)
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(register_workbook, "_write_summary", broken)
    with pytest.raises(RuntimeError):
        write_register(case["register"], target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["register.xlsx"]  # no half-written temporary file


# ------------------------------------------------------------------ the command

def test_pmo_register_command(case, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, [
        "register", "--period", "2024-09", "--db", str(case["db"]), "--portfolio", str(case["portfolio"]),
        "--outputs", str(out), "--as-of", "25/10/2024",
    ])
    assert result.exit_code == 0, result.output
    assert ("Register for September 2024: 9 live projects (1 closed, listed); 5 returns received (1 late), "
            "0 not rated, 0 awaited, 2 missing; 3 escalated; 6 changes since the register for 2024-08.") in result.output
    assert "As at" not in result.output  # given, so not announced
    path = out / "2024-09" / "single_project_register_2024-09.xlsx"
    assert f"Written: {path}" in result.output
    assert load_workbook(path)["Missing Returns"]["J2"].value == 11


def test_pmo_register_for_a_past_period_is_as_at_the_due_date_plus_the_chase_interval(case, tmp_path):
    """Back-filling: September 2024's register, built long after, is as at 14/10 + 5 days, and says so."""
    result = CliRunner().invoke(cli.main, [
        "register", "--period", "2024-09", "--db", str(case["db"]), "--portfolio", str(case["portfolio"]),
        "--outputs", str(tmp_path),
    ])
    assert result.exit_code == 0, result.output
    assert ("As at 19/10/2024 (pass --as-of to choose; a past period defaults to its due date plus the chase "
            "interval of 5 days)") in result.output
    ws = load_workbook(register_path(tmp_path, PERIOD))["Summary"]
    assert day(ws["B5"].value) == DUE + dt.timedelta(days=5)


def test_a_register_for_this_month_is_as_at_today(case, tmp_path):
    office = Office(outputs=tmp_path, db=case["db"], portfolio_path=case["portfolio"],
                    settings=Settings(chase_interval_days=3))
    _, built = office.register(PERIOD, today=DUE + dt.timedelta(days=2))
    assert built.as_of == DUE + dt.timedelta(days=2)
    _, built = office.register(PERIOD, today=dt.date(2025, 1, 1))
    assert built.as_of == DUE + dt.timedelta(days=3)


@pytest.mark.parametrize("args, message", [
    (["--period", "2024-13"], "is not a period"),
    (["--period", "2024-09", "--as-of", "someday"], "--as-of"),
    (["--period", "2024-09", "--db", "{tmp}/nowhere.db"], "no history store here"),
    (["--period", "2024-09", "--portfolio", "{tmp}/missing.xlsx"], "portfolio not found"),
])
def test_pmo_register_bad_usage_exits_2(case, tmp_path, args, message):
    base = {"--db": str(case["db"]), "--portfolio": str(case["portfolio"])}
    args = [a.format(tmp=tmp_path) for a in args]
    for option, value in base.items():
        if option not in args:
            args += [option, value]
    result = CliRunner().invoke(cli.main, ["register", *args, "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_pmo_register_reports_portfolio_errors(case, tmp_path):
    text = case["portfolio"].read_text(encoding="utf-8").replace(",Delivery,6000000,", ",Deliverd,6000000,", 1)
    bad = tmp_path / "portfolio.csv"
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli.main, [
        "register", "--period", "2024-09", "--db", str(case["db"]), "--portfolio", str(bad),
        "--outputs", str(tmp_path / "out"),
    ])
    assert result.exit_code == 2
    assert "'Deliverd' is not a stage" in result.output


def test_a_store_from_before_the_register_is_upgraded_in_place(tmp_path):
    """A store written by the previous pmo (schema 1) gains the register's table on first use."""
    import sqlite3

    from etl.store.db import MIGRATIONS, SCHEMA_VERSION, _statements

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2  # later migrations apply too
        assert store.register_projects(PERIOD) is None
        store.record_register_projects(PERIOD, {"R-01": "Delivery"})
        store.record_register_projects(PERIOD, {"R-02": "Closed"})  # a rebuild replaces, not adds
        assert store.register_projects(PERIOD) == {"R-02": "Closed"}


def test_register_rows_stay_short_enough_to_print_a_page_of_projects(case, tmp_path):
    """A PM update of several paragraphs does not make the Register's row a page tall (it is a
    list CMT scans); the Escalations sheet, which the meeting reads, still lets it grow."""
    from dataclasses import replace

    from etl.workbooks.formats import LINE_HEIGHT
    from etl.workbooks.register import REGISTER_ROW_LINES

    long_update = " ".join(["The contractor has confirmed the revised programme for the works."] * 40)
    rows = [{**row, "pm_update": long_update} for row in case["register"].rows]
    register = replace(case["register"], rows=rows)
    book = load_workbook(write_register(register, tmp_path / "register.xlsx"))
    heights = [book["Register"].row_dimensions[r].height for r in range(2, len(rows) + 2)]
    assert max(heights) == REGISTER_ROW_LINES * LINE_HEIGHT + 3
    escalated = book["Escalations"]
    assert max(escalated.row_dimensions[r].height or 0 for r in range(2, escalated.max_row + 1)) > max(heights)
