"""Return statuses over a period's life: Awaited before the due date, Missing after it, Not rated
with a reason (neither chased nor missing), and returns loaded long after they arrived.

Built on `helpers_register`'s September 2024 case (returns due 14/10/2024).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.config import Settings, load_settings
from etl.cycle.portfolio import load_portfolio
from etl.cycle.register import NO_RAG, build_register
from etl.cycle.status import period_status
from etl.errors import ConfigError
from etl.mail.distribute import plan_chase
from etl.rules.periods import AWAITED, MISSING, NOT_DUE, NOT_RATED, PAUSED, RECEIVED, RECEIVED_LATE, Period, return_status
from etl.store.db import Store
from etl.workbooks.register import write_register
from helpers_register import AS_OF, DUE, MAR25, PERIOD, build_case, full
from helpers_returns import good_return
from helpers_store import store_return


def test_return_status_rules():
    due = dt.date(2024, 10, 14)
    assert return_status("Delivery", True, None, due, as_of=due) == AWAITED  # the due day itself: not late yet
    assert return_status("Delivery", True, None, due, as_of=due + dt.timedelta(days=1)) == MISSING
    assert return_status("Delivery", True, None, due) == MISSING  # no as-at date: the strict reading
    assert return_status("Delivery", False, None, due, as_of=due) == NOT_DUE
    assert return_status("Pipeline", True, None, due, as_of=due) == PAUSED
    assert return_status("Delivery", True, due, due, not_rated=True) == NOT_RATED
    assert return_status("Delivery", True, due + dt.timedelta(days=3), due, not_rated=True) == NOT_RATED
    assert return_status("Delivery", True, due + dt.timedelta(days=3), due) == RECEIVED_LATE


def test_before_the_due_date_a_return_not_in_is_awaited_not_missing(tmp_path):
    portfolio_path, db = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    before = DUE - dt.timedelta(days=4)
    with Store(db) as store:
        status = period_status(portfolio, store, PERIOD, before)
        register = build_register(portfolio, store, PERIOD, before, record=False)
        late = build_register(portfolio, store, PERIOD, AS_OF, record=False)
        chase = plan_chase(portfolio, store, PERIOD, before, Settings(), None, tmp_path / "out")
    assert status.loc["R-09", "status"] == AWAITED and status.loc["R-09", "days_overdue"] == 0
    assert status.loc["R-05", "status"] == AWAITED  # its file was rejected, but the due date is still to come
    assert register.missing == [] and register.status_counts()[AWAITED] == 2
    assert [r["project_id"] for r in late.missing] == ["R-05", "R-09"]
    assert chase.drafts == []
    book = load_workbook(write_register(register, tmp_path / "early.xlsx"))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if isinstance(row[0], str)}
    assert summary["Awaited (not yet due)"] == 2 and summary["Missing (past the due date)"] == 0
    assert book["Missing Returns"]["A2"].value == "Every return due this period has been received."


def test_not_rated_with_a_reason_is_its_own_category_and_is_not_chased(tmp_path):
    portfolio_path, db = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    answers = full(NOT_RATED, "Re-baselining after the Board's review", MAR25)
    answers.values.update(not_rated_reason="Reset", not_rated_note="Re-baselined in October; rated again from November.")
    with Store(db) as store:
        store_return(store, portfolio, "R-09", PERIOD, answers, tmp_path / "more")
        register = build_register(portfolio, store, PERIOD, AS_OF)
        chase = plan_chase(portfolio, store, PERIOD, AS_OF, Settings(), None, tmp_path / "out")
    row = next(r for r in register.rows if r["project_id"] == "R-09")
    assert (row["status"], row["rag"], row["escalate"]) == (NOT_RATED, NOT_RATED, "No")
    assert row["not_rated_reason"] == "Reset: Re-baselined in October; rated again from November."
    assert [r["project_id"] for r in register.missing] == ["R-05"]
    assert register.rag_counts()[NOT_RATED] == 1 and register.rag_counts()[NO_RAG] == 1  # R-05 only
    assert [d.project_id for d in chase.drafts] == ["R-05"]
    book = load_workbook(write_register(register, tmp_path / "register.xlsx"))
    rows = list(book["Register"].iter_rows(values_only=True))
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_id["R-09"]["Return Status"] == NOT_RATED and by_id["R-09"]["RAG (this period)"] == NOT_RATED
    assert by_id["R-09"]["Not Rated Reason"].startswith("Reset: ")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if isinstance(row[0], str)}
    assert summary["Not rated (with a reason)"] == 1
    rag_table = {row[3]: row[4] for row in book["Summary"].iter_rows(values_only=True) if row[3] in (NOT_RATED, NO_RAG)}
    assert rag_table == {NOT_RATED: 1, NO_RAG: 1}


def test_back_filling_takes_the_received_date_given_not_the_copy_time(tmp_path):
    """Loading last year's returns: copied today, they would all be late; `--received-on` says when they came."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(EXAMPLE_PORTFOLIO_XLSX, inputs / "portfolio.xlsx")
    portfolio = load_portfolio(inputs / "portfolio.xlsx")
    period = Period(2023, 9)  # due 13/10/2023
    for name, received_on in (("copied", None), ("back-filled", "06/10/2023")):
        returns = tmp_path / name
        returns.mkdir()
        sent = good_return(tmp_path / "sent", portfolio, "CPCA-002", period)
        shutil.copy(sent, returns / sent.name)  # a copy made today: its modified time is now
        db = tmp_path / f"{name}.db"
        args = ["ingest", str(returns), "--period", str(period), "--db", str(db), "--inputs", str(inputs),
                "--outputs", str(tmp_path / "out")]
        result = CliRunner().invoke(cli.main, args + (["--received-on", received_on] if received_on else []))
        assert result.exit_code == 0, result.output
        with Store(db) as store:
            (stored,) = store.current_returns(period)
            status = period_status(portfolio, store, period, dt.date(2023, 10, 20)).loc["CPCA-002", "status"]
        if received_on:
            assert stored["received_at"] == "2023-10-06T00:00:00" and status == RECEIVED
        else:
            assert stored["received_at"][:10] == dt.date.today().isoformat() and status == RECEIVED_LATE


def test_back_filling_rejects_a_received_date_that_is_not_a_date(tmp_path):
    result = CliRunner().invoke(cli.main, ["ingest", str(tmp_path), "--period", "2023-09", "--received-on", "soon"])
    assert result.exit_code == 2 and "--received-on" in result.output


def test_plausibility_settings_are_read_and_checked(tmp_path):
    (tmp_path / "pmo.toml").write_text("earliest_date = 2010-01-01\nlatest_date = 2060-12-31\n"
                                       "largest_amount = 5e9\nchase_interval_days = 7\n")
    settings = load_settings(tmp_path)
    assert (settings.earliest_date, settings.latest_date) == (dt.date(2010, 1, 1), dt.date(2060, 12, 31))
    assert settings.largest_amount == 5e9 and settings.chase_interval_days == 7
    assert settings.plausible_date(dt.date(2030, 1, 1)) and not settings.plausible_date(dt.date(2061, 1, 1))
    for text, message in (('earliest_date = "2010"', "'earliest_date' must be a date"),
                          ("largest_amount = -1", "'largest_amount' must be a number of pounds"),
                          ("earliest_date = 2200-01-01", "'earliest_date' must be before 'latest_date'"),
                          ("chase_interval_days = 1.5", "'chase_interval_days' must be a whole number")):
        (tmp_path / "pmo.toml").write_text(text + "\n")
        with pytest.raises(ConfigError, match=message):
            load_settings(tmp_path)


def test_the_template_accepts_only_the_offices_plausible_dates_and_amounts(tmp_path):
    from helpers_returns import context_for
    from etl.workbooks.template import write_template

    portfolio = load_portfolio(EXAMPLE_PORTFOLIO_XLSX)
    settings = Settings(earliest_date=dt.date(2015, 1, 1), latest_date=dt.date(2050, 12, 31), largest_amount=5e9)
    ctx = context_for(portfolio, "CPCA-002", Period(2024, 9), settings)
    book = load_workbook(write_template(tmp_path / "t.xlsx", ctx))
    dates = [dv for dv in book["Highlight Report"].data_validations.dataValidation if dv.type == "date"]
    serial = lambda day: str((day - dt.date(1899, 12, 30)).days)  # noqa: E731  (Excel's day numbers)
    assert dates and {(dv.formula1, dv.formula2) for dv in dates} == {
        (serial(dt.date(2015, 1, 1)), serial(dt.date(2050, 12, 31)))}
    money = [dv for dv in book["Highlight Report"].data_validations.dataValidation if dv.type == "decimal"]
    assert len(money) == 3 and {(dv.formula1, dv.formula2) for dv in money} == {("0", "5000000000")}


def test_an_infinite_amount_already_in_an_older_store_does_not_stop_the_register(tmp_path):
    """Before issue 15 a budget of `1e400` was stored as infinity and every register then crashed."""
    portfolio_path, db = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    with Store(db) as store:
        return_id = store_return(store, portfolio, "R-09", PERIOD, full("Amber", "Budget typed as 1e400", MAR25),
                                 tmp_path / "more")
        # What the older pmo stored for a budget typed as 1e400.
        store.db.execute("UPDATE returns SET budget_approved = ? WHERE id = ?", (float("inf"), return_id))
        register = build_register(portfolio, store, PERIOD, AS_OF, record=False)
    row = next(r for r in register.rows if r["project_id"] == "R-09")
    assert row["budget_approved"] is None and row["spend_to_date"] == 250_000
    book = load_workbook(write_register(register, tmp_path / "register.xlsx"))
    rows = list(book["Register"].iter_rows(values_only=True))
    assert {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}["R-09"]["Budget Approved (£)"] is None


def test_a_failed_register_write_keeps_no_position(tmp_path, monkeypatch):
    """The position is kept once the workbook is written: a run that fails leaves the store as it was."""
    import etl.workbooks.register as register_workbook
    from etl.office import Office
    from etl.store.positions import positions_for

    portfolio_path, db = build_case(tmp_path / "case")
    office = Office(outputs=tmp_path / "out", db=db, portfolio_path=portfolio_path, settings=Settings())

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(register_workbook, "_write_summary", broken)
    with pytest.raises(OSError):
        office.register(PERIOD, AS_OF)
    with Store(db) as store:
        assert positions_for(store, [PERIOD]) == {}
    monkeypatch.undo()
    office.register(PERIOD, AS_OF)
    with Store(db) as store:
        assert len(positions_for(store, [PERIOD])[str(PERIOD)]) == 10


def test_a_register_built_by_an_older_pmo_is_still_compared_with(tmp_path):
    """A store whose August register left only its list of projects (before positions were kept)."""
    portfolio_path, db = build_case(tmp_path / "case")
    portfolio = load_portfolio(portfolio_path)
    with Store(db) as store:
        store.db.execute("DELETE FROM positions")
        store.record_register_projects(PERIOD.shift(-1), {f"R-{n:02d}": "Delivery" for n in range(1, 9)})
        register = build_register(portfolio, store, PERIOD, AS_OF, record=False)
    assert register.previous_register == "2024-08"
    changes = {(c["project_id"], c["change"]) for c in register.changes}
    assert {("R-09", "Added"), ("R-10", "Added"), ("R-08", "Closed")} <= changes
