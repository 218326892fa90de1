"""The register over time, through the whole cycle: templates, partners' returns, ingest, register.

Two snapshots of a real portfolio's published position (`helpers_gmpp`) as June and July 2024:
each register's counts are the published ones for the live portfolio, the projects that left
are listed as Closed but not counted, the trend shows each month as its own register saw it
(and a later register shows it the same), and a register built after a gap still lists what
was added and closed since the last one.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook

from conftest import office_for
from etl.config import Settings
from etl.cycle.portfolio import deadline
from etl.cycle.register import CATEGORIES, NO_RAG, PAUSED_CATEGORY
from etl.demo.partner import fill_return
from etl.rules.periods import Period
from etl.rules.rag import NOT_RATED, RAG_SCALE, direction_of_travel
from helpers_gmpp import (
    ADDED, FIRST, LEAVERS, NEVER_SENT, PUBLISHED, RATED_BOTH, SECOND, answers_for, build_portfolio, received_day,
    write_portfolios,
)
from helpers_returns import context_for, good_answers, with_values

THIRD = Period(2024, 8)


def _send_back(office, period: Period, statuses: dict[str, str | None], folder):
    """Every partner with a status fills in this month's template and sends it back on time."""
    portfolio, settings = office.portfolio, office.settings
    due = deadline(period, settings)
    folder.mkdir(parents=True, exist_ok=True)
    for pid, status in statuses.items():
        if status is None:
            continue  # never sent
        ctx = context_for(portfolio, pid, period, settings)
        fill_return(folder, ctx, answers_for(pid, status, ctx.report_type, period, good_answers, with_values),
                    received_day(due))
    return folder


def expected_counts(period: Period, not_rated: int, no_rag: int) -> dict[str, int]:
    return {**{rag: PUBLISHED[period][rag] for rag in RAG_SCALE}, NOT_RATED: not_rated, PAUSED_CATEGORY: 0,
            NO_RAG: no_rag}


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gmpp")
    gmpp = build_portfolio()
    first_csv, second_csv = write_portfolios(folder / "inputs", gmpp)
    db = folder / "pmo.db"

    office = office_for(folder / "outputs", db, first_csv, Settings())
    templates_first = office.templates(FIRST)
    ingest_first = office.ingest(_send_back(office, FIRST, gmpp.first.status, folder / "returns" / "2024-06"), FIRST)
    _, first = office.register(FIRST)

    office = office_for(folder / "outputs", db, second_csv, Settings())
    templates_second = office.templates(SECOND)
    ingest_second = office.ingest(_send_back(office, SECOND, gmpp.second.status, folder / "returns" / "2024-07"),
                                  SECOND)
    # The same store, had nobody built July's register: for the gap.
    shutil.copyfile(db, folder / "gap.db")
    path, second = office.register(SECOND)
    _, third = office.register(THIRD)
    gap_office = office_for(folder / "gap-outputs", folder / "gap.db", second_csv, Settings())
    _, gap = gap_office.register(THIRD)
    return {
        "gmpp": gmpp, "templates": (templates_first, templates_second), "ingest": (ingest_first, ingest_second),
        "first": first, "second": second, "third": third, "gap": gap, "path": path,
    }


def test_the_whole_cycle_ran_for_both_snapshots(cycle):
    first, second = cycle["templates"]
    assert len(first.written) == 181 and len(second.written) == 189  # the leavers are Closed: not sent one
    accepted = [len(result.all_accepted) for result in cycle["ingest"]]
    assert accepted == [181, 189 - NEVER_SENT]
    assert all(result.exit_code == 0 for result in cycle["ingest"])


def test_the_first_register_matches_the_2012_published_counts(cycle):
    first = cycle["first"]
    assert first.rag_counts() == expected_counts(FIRST, not_rated=21, no_rag=0)
    assert len(first.live) == 181 and first.closed == []
    # Back-filled: a past period's register is as at its due date plus the chase interval.
    assert first.as_of == deadline(FIRST, Settings()) + dt.timedelta(days=Settings().chase_interval_days)
    not_rated = [r for r in first.rows if r["status"] == NOT_RATED]
    assert len(not_rated) == 21 and all(r["not_rated_reason"].split(":")[0] in ("Reset", "Exempt", "On hold")
                                        for r in not_rated)


def test_the_second_register_counts_the_live_portfolio_as_published_in_2013(cycle):
    second = cycle["second"]
    # 24 without a rating: 18 returns that say Not rated, 6 never sent (Missing by the as-at date).
    assert second.rag_counts() == expected_counts(SECOND, not_rated=18, no_rag=NEVER_SENT)
    assert len(second.live) == 189 and len(second.missing) == NEVER_SENT
    # The leavers are listed as Closed, with their final (2012) RAG and the period they closed in.
    gmpp = cycle["gmpp"]
    closed = {r["project_id"]: r for r in second.closed}
    assert sorted(closed) == sorted(gmpp.leavers) and len(closed) == LEAVERS
    for pid, row in closed.items():
        final = gmpp.first.status[pid]
        assert row["rag"] == final and row["rag_period"] == "2024-06 (final)" and row["closed_in"] == "2024-07"
        assert row["escalate"] == "No"


def test_direction_of_travel_is_right_for_every_project_rated_in_both_years(cycle):
    gmpp, rows = cycle["gmpp"], {r["project_id"]: r for r in cycle["second"].rows}
    both = gmpp.rated_both()
    assert len(both) == RATED_BOTH
    for pid in both:
        before, now = gmpp.first.status[pid], gmpp.second.status[pid]
        row = rows[pid]
        assert row["direction"] == direction_of_travel(now, before), pid
        assert row["rag_previous"] == f"{before} (2024-06)" and row["compared_with"] == "2024-07 with 2024-06"
    assert {rows[p]["direction"] for p in both} == {"↑", "→", "↓"}


def test_changes_name_the_register_they_compare_with(cycle):
    second = cycle["second"]
    assert second.changes_title == "Changes since the register for 2024-06"
    kinds = [c["change"] for c in second.changes]
    assert kinds.count("Added") == ADDED and kinds.count("Closed") == LEAVERS
    added = next(c for c in second.changes if c["change"] == "Added")
    assert added["detail"] == "New on the portfolio since the register for 2024-06"
    book = load_workbook(cycle["path"])
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if isinstance(row[0], str)}
    assert summary["Changes since the register for 2024-06"] == len(second.changes)
    assert summary["Closed (listed, not counted)"] == LEAVERS and summary["Live projects (counted)"] == 189


def test_the_trend_shows_each_month_as_it_was_whichever_register_shows_it(cycle):
    first, second, third = cycle["first"], cycle["second"], cycle["third"]
    june, july = dict(second.trend)[FIRST], dict(second.trend)[SECOND]
    assert june == first.rag_counts() == expected_counts(FIRST, 21, 0)
    assert july == second.rag_counts()
    # A later register shows June and July the same: the 65 added in July are not counted back in June.
    later = dict(third.trend)
    assert later[FIRST] == june and later[SECOND] == july
    # Before June no register was built and the store holds no returns: nothing is counted.
    assert dict(second.trend)[Period(2024, 5)] == {c: 0 for c in CATEGORIES}
    # August: nobody has sent a return yet; its counts are of August's live projects.
    assert sum(third.rag_counts().values()) == 189


def test_a_register_after_a_gap_lists_what_was_added_and_closed_since_the_last_one(cycle):
    gap = cycle["gap"]  # July's register was never built: August compares with June's
    assert gap.previous_register == "2024-06"
    assert gap.changes_title == "Changes since the register for 2024-06"
    kinds = [c["change"] for c in gap.changes]
    assert kinds.count("Added") == ADDED and kinds.count("Closed") == LEAVERS
    closed = next(c for c in gap.changes if c["change"] == "Closed")
    assert closed["detail"] == "Closed since the register for 2024-06" and closed["from"] == "Delivery"
    # July, with no register of its own, is worked out from the store's returns: the projects
    # that had reported by then (not the 6 new ones that never did), none of the leavers.
    july = dict(gap.trend)[SECOND]
    assert july == expected_counts(SECOND, not_rated=18, no_rag=0)
    assert dict(gap.trend)[FIRST] == cycle["first"].rag_counts()
