"""The template contract: defined names, prefilled and locked identity, inputs with lists, _meta.

Templates are opened with openpyxl, as any other tool reading them would.
"""

import csv
import datetime as dt
import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX, example_rows, write_rows_csv
from etl.office import Office
from etl.contracts import fields as F
from etl.config import Settings
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio, reporting_plan
from etl.rules.rag import RAG_SCALE
from etl.store.db import Store
from etl.cycle.templates import Answers, TemplateContext, template_name
from etl.workbooks.template import write_template
from etl.workbooks.formats import INPUT_FILL, LOCKED_FILL
from helpers_store import store_return

PERIOD = Period(2024, 9)


def context(project_id="CPCA-002", period=PERIOD, **overrides):
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    row = dict(reporting_plan(portfolio, period).loc[project_id])
    ctx = TemplateContext.from_plan_row(row, period, Settings())
    for key, value in overrides.items():
        setattr(ctx, key, value)
    return ctx


def resolve(book, name):
    """The (sheet, first cell) a workbook-level defined name points at."""
    defined = book.defined_names[name]
    (sheet, ref), = list(defined.destinations)
    return book[sheet], ref.replace("$", "").split(":")[0]


def rgb(cell):
    return "#" + cell.fill.fgColor.rgb[-6:].upper()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "full.xlsx"
    return load_workbook(write_template(path, context("CPCA-002")))


@pytest.fixture(scope="module")
def simplified(tmp_path_factory):
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    concept = portfolio[portfolio["report_type"] == "Simplified"].index[0]
    path = tmp_path_factory.mktemp("t") / "simple.xlsx"
    return load_workbook(write_template(path, context(concept)))


def test_every_defined_name_is_workbook_level_and_labelled(full, simplified):
    for book, report_type in ((full, "Full"), (simplified, "Simplified")):
        expected = set(F.defined_names(report_type))
        assert set(book.defined_names) >= expected
        for sheet in book.worksheets:
            assert not sheet.defined_names, "names must be workbook-level, not sheet-scoped"
        for spec in F.fields_for(report_type):
            ws, ref = resolve(book, spec.name)
            assert ws.title == F.SHEET
            row = int(re.sub(r"[A-Z]", "", ref))
            # The label sits beside a small field, or on the row above a large text box.
            label = ws[f"A{row}"].value if ref.startswith("C") else ws[f"A{row - 1}"].value
            assert label.rstrip(" *") == spec.label, (spec.name, ref, label)
    full_only = {f.name for f in F.FIELDS if f.reports == ("Full",)}
    assert full_only == {"budget_approved", "spend_to_date", "forecast_outturn", "next_key_milestone",
                         "next_key_milestone_date", "outcomes_and_impacts", "top_risk", "top_risk_mitigation"}
    assert not full_only & set(simplified.defined_names)


def test_contract_names_match_design():
    design = """project_id project_name period reporting_period_start reporting_period_end project_description
        project_outcomes sponsor project_manager pmo_support agreed_completion_date forecast_completion_date
        rag_previous rag_this_period pm_update sponsor_comments milestones_this_period milestones_next_period
        risks completed_by completed_date budget_approved spend_to_date forecast_outturn next_key_milestone
        next_key_milestone_date outcomes_and_impacts top_risk top_risk_mitigation""".split()
    # Template 1.1 (issue 17): a status of "Not rated" gives its reason and an explanation.
    later = {"not_rated_reason", "not_rated_note"}
    assert set(F.defined_names("Full")) == set(design) | later
    assert {f.name for f in F.fields_for("Full", "1.0")} == set(design) - {t.name for t in F.TABLES}


def test_identity_is_prefilled_and_locked(full):
    expected = {
        "project_id": "CPCA-002", "project_name": "University of Peterborough", "period": "2024-09",
        "reporting_period_start": dt.datetime(2024, 9, 1), "reporting_period_end": dt.datetime(2024, 9, 30),
        "sponsor": "Rebecca Hallam", "project_manager": "Joanna Whitfield",
    }
    for name, value in expected.items():
        ws, ref = resolve(full, name)
        cell = ws[ref]
        assert cell.value == value, name
        assert cell.protection.locked, name
        assert rgb(cell) == LOCKED_FILL
    ws, ref = resolve(full, "agreed_completion_date")
    assert isinstance(ws[ref].value, dt.datetime) and ws[ref].number_format == "dd/mm/yyyy"


def test_inputs_are_unlocked_and_styled(full):
    for spec in F.fields_for("Full"):
        if spec.prefilled:
            continue
        ws, ref = resolve(full, spec.name)
        assert not ws[ref].protection.locked, spec.name
        assert rgb(ws[ref]) == INPUT_FILL, spec.name
    for table in F.TABLES:
        defined = full.defined_names[table.name]
        (sheet, ref), = list(defined.destinations)
        cells = [c for row in full[sheet][ref.replace("$", "")] for c in row]
        assert len(cells) == table.rows * len(table.columns)
        assert all(not c.protection.locked for c in cells)


def test_sheet_protected_without_password_and_rows_can_be_inserted(full):
    protection = full[F.SHEET].protection
    assert protection.sheet is True
    assert not protection.password
    assert protection.insertRows is False  # openpyxl: False means "not prevented"


def validations_covering(ws, ref):
    return [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]


def test_drop_down_lists(full):
    ws, ref = resolve(full, "rag_this_period")
    (rag,) = validations_covering(ws, ref)
    # The five ratings, then Not rated (template 1.1), whose reason has its own list.
    assert rag.type == "list" and rag.formula1 == '"' + ",".join(RAG_SCALE) + ',Not rated"'
    ws, ref = resolve(full, "not_rated_reason")
    (reason,) = validations_covering(ws, ref)
    assert reason.type == "list" and reason.formula1 == '"Reset,Exempt,On hold"'
    (_, table_ref) = list(full.defined_names["milestones_this_period"].destinations)[0]
    first = table_ref.replace("$", "").split(":")[0]
    status_cell = "C" + re.sub(r"[A-Z]", "", first)
    (status,) = validations_covering(ws, status_cell)
    assert status.type == "list" and status.formula1 == '"' + ",".join(F.MILESTONE_STATUSES) + '"'
    (_, risk_ref) = list(full.defined_names["risks"].destinations)[0]
    rating_cell = "D" + re.sub(r"[A-Z]", "", risk_ref.replace("$", "").split(":")[0])
    (rating,) = validations_covering(ws, rating_cell)
    assert rating.formula1 == '"High,Medium,Low"'


def test_date_and_money_validation(full):
    for name in ("forecast_completion_date", "completed_date", "next_key_milestone_date"):
        ws, ref = resolve(full, name)
        (rule,) = validations_covering(ws, ref)
        # "between" is the default operator, so it is omitted from the XML.
        assert rule.type == "date" and rule.operator in (None, "between"), name
        assert (rule.formula1, rule.formula2) == ("36526", "73415"), name  # 01/01/2000 to 31/12/2100
    ws, ref = resolve(full, "budget_approved")
    (rule,) = validations_covering(ws, ref)
    # Money: 0 up to the office's largest plausible amount (settings; £100bn by default).
    assert rule.type == "decimal" and rule.operator in (None, "between")
    assert (rule.formula1, rule.formula2) == ("0", "100000000000")


def test_rag_input_is_coloured_by_conditional_formats(full):
    ws, ref = resolve(full, "rag_this_period")
    rules = {r.formula[0]: r for cf in ws.conditional_formatting for r in cf.rules if ref in str(cf.sqref)}
    assert set(rules) == {f'"{r}"' for r in RAG_SCALE}


def test_meta_sheet_is_very_hidden(full):
    meta = full[F.META_SHEET]
    assert meta.sheet_state == "veryHidden"
    values = {row[0].value: row[1].value for row in meta.iter_rows()}
    assert values["template_version"] == F.TEMPLATE_VERSION
    assert values["project_id"] == "CPCA-002"
    assert values["period"] == "2024-09"
    assert values["report_type"] == "Full"


def test_guidance_sheet_has_the_rag_definitions(full):
    text = " ".join(str(c.value) for row in full[F.GUIDANCE_SHEET].iter_rows() for c in row if c.value)
    for rating in RAG_SCALE:
        assert rating in text
    assert "Successful delivery of the project to time, cost and quality appears to be highly likely." in text
    assert "14/10/2024" in text  # the due date
    assert "choose 'Not rated' and give the reason (Reset, Exempt, On hold)" in text


def test_print_ready(full):
    ws = full[F.SHEET]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    # One page wide (1 is the default, so it may be omitted), as many pages tall as needed.
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert "&P" in ws.oddFooter.right.text and "2024-09" in ws.oddFooter.center.text


def test_answers_fill_the_named_cells(tmp_path):
    answers = Answers(
        values={"rag_this_period": "Amber", "pm_update": "=SUM(A1:A9) typed by a partner",
                "budget_approved": 1_200_000, "forecast_completion_date": dt.date(2026, 3, 31)},
        tables={"risks": [("Contractor insolvency", "Weekly calls", "High")]},
    )
    book = load_workbook(write_template(tmp_path / "r.xlsx", context(), answers))
    ws, ref = resolve(book, "pm_update")
    assert ws[ref].value == "=SUM(A1:A9) typed by a partner" and ws[ref].data_type == "s"
    ws, ref = resolve(book, "rag_this_period")
    assert ws[ref].value == "Amber"
    ws, ref = resolve(book, "forecast_completion_date")
    assert ws[ref].value == dt.datetime(2026, 3, 31)
    (_, risk_ref) = list(book.defined_names["risks"].destinations)[0]
    first_row = [c.value for c in ws[risk_ref.replace("$", "")][0]]
    assert first_row == ["Contractor insolvency", "Weekly calls", "High"]


def test_project_name_from_the_portfolio_stays_text(tmp_path):
    book = load_workbook(write_template(tmp_path / "f.xlsx", context(project_name="=HYPERLINK(\"http://x\")")))
    ws, ref = resolve(book, "project_name")
    assert ws[ref].value == '=HYPERLINK("http://x")' and ws[ref].data_type == "s"


def test_previous_rag_and_description_come_from_the_store(tmp_path):
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    db = tmp_path / "pmo.db"
    with Store(db) as store:
        store_return(store, portfolio, "CPCA-002", "2024-08",
                     Answers({"rag_this_period": "Amber/Red", "project_description": "Phase 3 teaching building"}),
                     tmp_path)
    office = Office(outputs=tmp_path / "out", db=db, portfolio_path=EXAMPLE_PORTFOLIO_XLSX, settings=Settings())
    office.templates(PERIOD)
    folder = tmp_path / "out" / "2024-09" / "templates"
    with_history = load_workbook(folder / template_name("CPCA-002", PERIOD))
    ws, ref = resolve(with_history, "rag_previous")
    assert ws[ref].value == "Amber/Red" and ws[ref].protection.locked
    ws, ref = resolve(with_history, "project_description")
    assert ws[ref].value == "Phase 3 teaching building" and not ws[ref].protection.locked
    without = load_workbook(folder / template_name("CPCA-003", PERIOD))
    ws, ref = resolve(without, "rag_previous")
    assert ws[ref].value is None and not ws[ref].protection.locked  # first return: the PM may say


def test_pmo_templates_writes_one_per_due_project_and_the_distribution_list(tmp_path):
    out = tmp_path / "outputs"
    result = CliRunner().invoke(cli.main, [
        "templates", "--period", "2024-09", "--inputs", str(EXAMPLE_PORTFOLIO_XLSX.parent),
        "--outputs", str(out), "--db", str(tmp_path / "pmo.db")])
    assert result.exit_code == 0, result.output
    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    plan = reporting_plan(portfolio, PERIOD)
    due = plan[plan["due"]]
    files = sorted(p.name for p in (out / "2024-09" / "templates").iterdir())
    assert files == sorted(template_name(pid, PERIOD) for pid in due.index)
    with open(out / "2024-09" / "distribution.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["Project ID"] for r in rows] == list(due.index)
    first = rows[0]
    project = portfolio.loc[first["Project ID"]]
    assert first["Recipient Email"] == project["project_manager_email"]
    assert first["Copy To"] == project["internal_representative"]
    assert first["Copy To Email"] == project["internal_representative_email"]
    assert first["Report Type"] == project["report_type"]
    assert first["Due Date"] == "14/10/2024"
    assert (out / "2024-09" / first["File"]).exists()
    assert f"{len(due)} templates for September 2024" in result.output
    assert not (tmp_path / "pmo.db").exists(), "templates only read the store"


def test_templates_no_longer_due_are_removed_on_a_rerun(tmp_path):
    rows = example_rows()
    csv_path = write_rows_csv(rows, tmp_path / "portfolio.csv")
    out = tmp_path / "out"
    Office(outputs=out, db=tmp_path / "pmo.db", portfolio_path=csv_path, settings=Settings()).templates(PERIOD)
    first = rows[0]["Project ID"]
    assert (out / "2024-09" / "templates" / template_name(first, PERIOD)).exists()
    rows[0]["Stage"] = "Pipeline"
    write_rows_csv(rows, csv_path)
    done = Office(outputs=out, db=tmp_path / "pmo.db", portfolio_path=csv_path, settings=Settings()).templates(PERIOD)
    written, distribution = done.written, done.distribution
    assert not (out / "2024-09" / "templates" / template_name(first, PERIOD)).exists()
    assert first not in distribution.read_text(encoding="utf-8-sig")
    assert len(list((out / "2024-09" / "templates").iterdir())) == len(written)
