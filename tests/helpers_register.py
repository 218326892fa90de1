"""A small portfolio and store that cover every case the register must show.

It simulates two months of an office's cycle (August and September 2024): the August
register was built from an earlier portfolio (one project still in Delivery, one not yet
added), partners returned their filled templates (some on time, one late, one rejected
and never corrected, one never sent), and the PMO now builds September's register.

| Project | Stage, frequency | Returns | September shows |
| R-01 | Delivery, monthly | Aug Green, Sep Amber, forecast slipped | Received, ↓, escalated |
| R-02 | Delivery, monthly | Aug Red, Sep Red | Received, →, escalated (Red) |
| R-03 | Delivery, monthly | Aug Amber, Sep Green (late) | Received late, ↑ |
| R-04 | Delivery, monthly | Sep Green/Amber only | Received, no direction |
| R-05 | Delivery, monthly | Aug Amber/Red; Sep file rejected | Missing (1 rejected file) |
| R-06 | Concept, two-monthly | Jun Amber/Red, Aug Amber | Not due, Amber carried from 2024-08, ↑ |
| R-07 | Pipeline | none | Paused |
| R-08 | Closed (was Delivery) | Aug Green | Closed, Green carried, closed since August |
| R-09 | Delivery, monthly, new | none | Missing, added since August |
| R-10 | Business Case, quarterly | Jun Amber, Sep Amber/Red | Received, ↓, escalated |

PM updates of R-01..R-04 begin with `=`, `+`, `-` and `@`: they must appear as typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import write_rows_csv
from etl.config import Settings
from etl.rules.periods import Period
from etl.cycle.portfolio import load_portfolio
from etl.cycle.register import build_register
from etl.store.db import OfferedFile, Store
from etl.cycle.templates import Answers
from helpers_store import store_return

PERIOD = Period(2024, 9)
PREVIOUS = Period(2024, 8)
AS_OF = dt.date(2024, 10, 25)
DUE = dt.date(2024, 10, 14)  # 10th working day of October 2024

FORMULA_LIKE = {
    "R-01": "=SUM(A1:A9) is what the finance team asked for",
    "R-02": "+44 1223 000000 is the site office",
    "R-03": "-5% against profile; recovered",
    "R-04": "@Sponsor please note the start on site",
}

_HEADERS = (
    "Project ID", "Project Name", "Programme", "Directorate", "Service", "District", "Stage",
    "Delivery Cost (£)", "Frequency Override", "Override Reason", "Sponsor", "Project Manager",
    "Project Manager Email", "Delivery Organisation", "Internal Representative",
    "Internal Representative Email", "Agreed Completion Date", "Most Complex", "Latitude", "Longitude",
)


def _project(pid: str, name: str, stage: str, cost: str, directorate: str, district: str) -> dict[str, str]:
    n = pid[-2:]
    values = (
        pid, name, "", directorate, "Transport" if n in ("01", "02", "03") else "Housing", district, stage, cost,
        "", "", "Sam Sponsor", f"Pat Manager{n}", f"pm{n}@partner.example.org", "Partner Ltd",
        f"Ira Rep{n}", f"rep{n}@authority.example.gov.uk", "2025-03-31", "No", "", "",
    )
    return dict(zip(_HEADERS, values))


def portfolio_rows(previous: bool = False) -> list[dict[str, str]]:
    """The portfolio as it stood in September (or, with `previous`, in August)."""
    rows = [
        _project("R-01", "Station Quarter", "Delivery", "6000000", "Place", "Peterborough"),
        _project("R-02", "Bus Depot", "Delivery", "7000000", "Place", "Fenland"),
        _project("R-03", "Cycle Links", "Delivery", "8000000", "Place", "Cambridge"),
        _project("R-04", "Market Towns", "Delivery", "9000000", "Economy", "Fenland"),
        _project("R-05", "Homes Fund", "Delivery", "6500000", "Economy", "Huntingdonshire"),
        _project("R-06", "Skills Hub", "Concept", "3000000", "Economy", "Cambridge"),
        _project("R-07", "River Crossing", "Pipeline", "20000000", "Place", "Area-wide"),
        _project("R-08", "Depot Roof", "Delivery" if previous else "Closed", "6000000", "Place", "Fenland"),
        _project("R-09", "New Bridge", "Delivery", "6000000", "Place", "Peterborough"),
        _project("R-10", "Library Study", "Business Case", "500000", "Economy", "Peterborough"),
    ]
    return [r for r in rows if not (previous and r["Project ID"] == "R-09")]


def full(rag: str, update: str, forecast: dt.date, risk: str = "Contractor capacity") -> Answers:
    return Answers(
        values={
            "rag_this_period": rag, "pm_update": update, "forecast_completion_date": forecast,
            "budget_approved": 1_000_000.0, "spend_to_date": 250_000.0, "forecast_outturn": 1_050_000.0,
            "next_key_milestone": "Planning consent", "next_key_milestone_date": dt.date(2024, 12, 1),
            "top_risk": risk, "top_risk_mitigation": "Weekly progress meetings",
            "project_description": "A project", "completed_by": "PM", "completed_date": dt.date(2024, 10, 1),
        },
        tables={"risks": [(risk, "Weekly progress meetings", "High")]},
    )


def simplified(rag: str, update: str, forecast: dt.date) -> Answers:
    return Answers(
        values={"rag_this_period": rag, "pm_update": update, "forecast_completion_date": forecast},
        tables={
            "risks": [("Low risk of delay", "Monitor", "Low"), ("Funding gap", "Bid to the Board", "High")],
            "milestones_next_period": [("Options appraisal", dt.date(2024, 11, 30))],
        },
    )


MAR25, JUN25 = dt.date(2025, 3, 31), dt.date(2025, 6, 30)


def build_case(folder: Path, db: Path | str | None = None) -> tuple[Path, Path | str]:
    """The September portfolio CSV and a store (by default `folder/pmo.db`; or `db`, e.g. a
    PostgreSQL URL) with the August register built; (portfolio, db)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    before = write_rows_csv(portfolio_rows(previous=True), folder / "portfolio_aug.csv")
    now = write_rows_csv(portfolio_rows(), folder / "portfolio.csv")
    aug, sep = load_portfolio(before), load_portfolio(now)
    returns = folder / "returns"
    db = db or folder / "pmo.db"
    with Store(db) as store:
        june = Period(2024, 6)
        store_return(store, aug, "R-06", june, simplified("Amber/Red", "June update", MAR25), returns)
        store_return(store, aug, "R-10", june, simplified("Amber", "June update", MAR25), returns)
        for pid, rag in (("R-01", "Green"), ("R-02", "Red"), ("R-03", "Amber"), ("R-05", "Amber/Red"),
                         ("R-08", "Green")):
            store_return(store, aug, pid, PREVIOUS, full(rag, f"August update {pid}", MAR25), returns)
        store_return(store, aug, "R-06", PREVIOUS, simplified("Amber", "August update R-06", MAR25), returns)
        build_register(aug, store, PREVIOUS, dt.date(2024, 9, 20), settings)

        store_return(store, sep, "R-01", PERIOD, full("Amber", FORMULA_LIKE["R-01"], JUN25, "Utility diversions"), returns)
        store_return(store, sep, "R-02", PERIOD, full("Red", FORMULA_LIKE["R-02"], MAR25), returns)
        store_return(store, sep, "R-03", PERIOD, full("Green", FORMULA_LIKE["R-03"], MAR25), returns,
                     received=dt.date(2024, 10, 20))
        store_return(store, sep, "R-04", PERIOD, full("Green/Amber", FORMULA_LIKE["R-04"], MAR25), returns)
        store_return(store, sep, "R-10", PERIOD, simplified("Amber/Red", "Funding gap widened", MAR25), returns)
        bad = folder / "R-05_2024-09_highlight.xlsx"
        bad.write_bytes(b"not really a workbook")
        offered = OfferedFile.from_path(bad, str(PERIOD), dt.datetime(2024, 10, 10, 9, 0))
        store.record_rejected(offered, [{"message": "not an xlsx file"}], project_id="R-05")
    return now, db
