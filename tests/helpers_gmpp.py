"""Two years of a real portfolio's published position, as two consecutive periods of an office.

It simulates the UK Government Major Projects Portfolio's 2012 and 2013 annual snapshots
(the Major Projects Authority's published delivery-confidence ratings, on the same five-point
scale pmo uses) run through pmo as two consecutive reporting months, June and July 2024. The
project names and details are invented; the counts are the published ones:

| snapshot | Green | Green/Amber | Amber | Amber/Red | Red | no rating | live |
| 2012     | 31    | 46          | 55    | 22        | 6   | 21        | 181  |
| 2013     | 16    | 50          | 61    | 35        | 3   | 24        | 189  |

Between the two, 57 projects left the portfolio (kept on the office's portfolio with Stage
Closed, as pmo's README says to) and 65 were added; 97 projects were rated in both years.
The rest of the split is this helper's choice, and adds up to those figures:

| group                       | projects | 2012      | 2013                         |
| continuing, rated both      | 97       | rated     | rated                        |
| continuing, rated 2012 only | 12       | rated     | Not rated (a reason)         |
| continuing, rated 2013 only | 10       | Not rated | rated                        |
| continuing, rated neither   | 5        | Not rated | Not rated                    |
| leavers                     | 57       | 51 rated, 6 Not rated | Closed           |
| new in 2013                 | 65       | —         | 58 rated, 1 Not rated, 6 never sent a return |

"No rating" is a return that says Not rated (with a reason: Reset, Exempt or On hold), or in
2013 no return at all by the as-at date. Ratings are dealt out in project order from each
year's published counts, so each year's distribution is exact.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from conftest import write_rows_csv
from etl.rules.periods import Period
from etl.rules.rag import NOT_RATED, NOT_RATED_REASONS, RAG_SCALE

FIRST, SECOND = Period(2024, 6), Period(2024, 7)  # the 2012 snapshot, then the 2013 one
PUBLISHED = {
    FIRST: dict(zip(RAG_SCALE, (31, 46, 55, 22, 6)), no_rating=21),
    SECOND: dict(zip(RAG_SCALE, (16, 50, 61, 35, 3)), no_rating=24),
}
LEAVERS, ADDED, RATED_BOTH = 57, 65, 97
NEVER_SENT = 6  # new projects with no 2013 return: "no rating" as Missing

_HEADERS = (
    "Project ID", "Project Name", "Programme", "Directorate", "Service", "District", "Stage",
    "Delivery Cost (£)", "Frequency Override", "Override Reason", "Sponsor", "Project Manager",
    "Project Manager Email", "Delivery Organisation", "Internal Representative",
    "Internal Representative Email", "Agreed Completion Date", "Most Complex", "Latitude", "Longitude",
)
_DEPARTMENTS = ("Defence", "Health", "Transport", "Justice", "Work and Pensions", "Home Office")


@dataclass
class Snapshot:
    """Each project's status in one snapshot: a rating, Not rated, or None (no return sent)."""

    period: Period
    status: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Portfolio:
    """The two snapshots and the projects' groups."""

    continuing: list[str]
    leavers: list[str]
    added: list[str]
    first: Snapshot
    second: Snapshot

    def rated_both(self) -> list[str]:
        return [p for p in self.continuing
                if self.first.status[p] in RAG_SCALE and self.second.status.get(p) in RAG_SCALE]


def _deal(counts: dict[str, int]) -> list[str]:
    return [rag for rag in RAG_SCALE for _ in range(counts[rag])]


def build_portfolio() -> Portfolio:
    """The projects and both years' statuses, as the module docstring sets out."""
    ids = (f"MPA-{n:03d}" for n in itertools.count(1))
    both = [next(ids) for _ in range(RATED_BOTH)]
    first_only = [next(ids) for _ in range(12)]
    second_only = [next(ids) for _ in range(10)]
    neither = [next(ids) for _ in range(5)]
    leavers = [next(ids) for _ in range(LEAVERS)]
    added = [next(ids) for _ in range(ADDED)]
    continuing = both + first_only + second_only + neither

    first = Snapshot(FIRST)
    rated_first = both + first_only + leavers[:51]
    for pid, rag in zip(rated_first, _deal(PUBLISHED[FIRST]), strict=True):
        first.status[pid] = rag
    for pid in second_only + neither + leavers[51:]:
        first.status[pid] = NOT_RATED

    second = Snapshot(SECOND)
    # Dealt from the other end of the scale's order, so many of the 97 move.
    rated_second = list(reversed(both)) + second_only + added[:58]
    for pid, rag in zip(rated_second, _deal(PUBLISHED[SECOND]), strict=True):
        second.status[pid] = rag
    for pid in first_only + neither + added[58:59]:
        second.status[pid] = NOT_RATED
    for pid in added[59:]:
        second.status[pid] = None  # never sent
    assert len(added[59:]) == NEVER_SENT
    return Portfolio(continuing, leavers, added, first, second)


def _row(pid: str, stage: str) -> dict[str, str]:
    n = int(pid[-3:])
    values = (
        pid, f"Major project {n}", "", _DEPARTMENTS[n % len(_DEPARTMENTS)], "Delivery", "Area-wide", stage,
        "250000000", "", "", "Senior Responsible Owner", f"Project Director {n}", f"pd{n}@dept.example.gov.uk",
        "Department", f"Analyst {n}", f"analyst{n}@mpa.example.gov.uk", "2030-03-31", "No", "", "",
    )
    return dict(zip(_HEADERS, values))


def write_portfolios(folder: Path, gmpp: Portfolio) -> tuple[Path, Path]:
    """The office's portfolio as it stood for each snapshot (CSV, as exported from Excel)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = [_row(p, "Delivery") for p in gmpp.continuing + gmpp.leavers]
    second = ([_row(p, "Delivery") for p in gmpp.continuing] + [_row(p, "Closed") for p in gmpp.leavers]
              + [_row(p, "Delivery") for p in gmpp.added])
    return (write_rows_csv(first, folder / "portfolio_2012.csv"), write_rows_csv(second, folder / "portfolio_2013.csv"))


def answers_for(pid: str, status: str, report_type: str, period: Period, good_answers, with_values):
    """A careful project director's return: the rating, or Not rated with a reason and a note."""
    if status != NOT_RATED:
        return good_answers(report_type, period, rag=status)
    reason = NOT_RATED_REASONS[int(pid[-3:]) % len(NOT_RATED_REASONS)]
    return with_values(good_answers(report_type, period), rag_this_period=NOT_RATED, not_rated_reason=reason,
                       not_rated_note="Not rated this year; see the department's annual report.")


def received_day(due: dt.date) -> dt.date:
    """Returns arrive a few days before the due date."""
    return due - dt.timedelta(days=4)
