"""A small portfolio and store for the public dashboard, with everything a dashboard must not leak.

It simulates an office two months into its cycle (August and September 2024), built on the
register's case (`helpers_register`): the same ten projects, now with a place each and a
`Publish` column, and partners' returns stored as accepted. What the dashboard must handle:

| Project | Place | Returns | What the dashboard must do |
| R-01 Station Quarter | Peterborough | Aug Green, Sep Amber | page: ↓ Worsening; PM update with `<script>` and an e-mail address |
| R-02 Bus Depot | Fenland | Aug Red, Sep Red | Red, no change |
| R-03 Cycle Links | Cambridge | Sep Green | the point the browser test clicks |
| R-04 Market Towns | Fenland | Sep Green/Amber | Economy directorate |
| R-05 Homes Fund | Huntingdonshire | Sep Amber/Red | `Publish: no`: nowhere in the output |
| R-06 Skills Hub | Cambridge | none | No RAG |
| R-07 River Crossing | Area-wide | none | listed beside the map, not drawn |
| R-08 Depot Roof | Fenland | Aug Green | closed |
| R-09 New Bridge | no coordinates | none | listed, not mapped |
| R-10 Library Study | London (outside) | Sep Not rated (on hold) | listed, not mapped; counted as Not rated |

Every return carries a sponsor's comment, a risk and a mitigation whose text is marked
SECRET, and the portfolio names people and their e-mail addresses: none may be published.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import write_rows_csv
from etl.cycle.portfolio import load_portfolio
from etl.store.db import Store
from helpers_register import MAR25, JUN25, PERIOD, PREVIOUS, full, portfolio_rows, simplified
from helpers_store import store_return

AS_OF = dt.date(2024, 10, 25)
PLACES = {
    "R-01": (52.5749, -0.2506), "R-02": (52.6000, 0.0500), "R-03": (52.2053, 0.1218), "R-04": (52.5500, 0.0880),
    "R-05": (52.3300, -0.1800), "R-06": (52.2100, 0.1300), "R-08": (52.6700, 0.1500), "R-10": (51.5074, -0.1278),
}
HIDDEN_ID, HIDDEN_NAME = "R-05", "Homes Fund"
SCRIPT_UPDATE = "Works on site.<script>window.pwned = 1</script> Ask jo.bloggs@partner.example.org for the plans."
#: Text that appears only in withheld fields (sponsor comments, risks, mitigations).
SECRETS = ("SECRET sponsor comment", "SECRET risk", "SECRET mitigation")


def dashboard_rows() -> list[dict[str, str]]:
    rows = portfolio_rows()
    for row in rows:
        lat, lon = PLACES.get(row["Project ID"], ("", ""))
        row["Latitude"], row["Longitude"] = str(lat), str(lon)
        row["Publish"] = "No" if row["Project ID"] == HIDDEN_ID else ("Yes" if row["Project ID"] == "R-01" else "")
    return rows


def _secret(answers):
    answers.values.update(sponsor_comments=f"{SECRETS[0]} from the sponsor", top_risk=SECRETS[1],
                          top_risk_mitigation=SECRETS[2], project_outcomes="More homes and jobs")
    answers.tables["risks"] = [(SECRETS[1], SECRETS[2], "High")]
    return answers


def build_dashboard_case(folder: Path) -> tuple[Path, Path]:
    """The portfolio CSV and a store with August and September returns; (portfolio, db)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_rows_csv(dashboard_rows(), folder / "portfolio.csv")
    portfolio = load_portfolio(path)
    returns, db = folder / "returns", folder / "pmo.db"
    with Store(db) as store:
        for pid, rag in (("R-01", "Green"), ("R-02", "Red"), ("R-08", "Green")):
            store_return(store, portfolio, pid, PREVIOUS, _secret(full(rag, f"August update {pid}", MAR25)), returns)
        store_return(store, portfolio, "R-01", PERIOD, _secret(full("Amber", SCRIPT_UPDATE, JUN25)), returns)
        for pid, rag in (("R-02", "Red"), ("R-03", "Green"), ("R-04", "Green/Amber"), ("R-05", "Amber/Red")):
            store_return(store, portfolio, pid, PERIOD, _secret(full(rag, f"September update {pid}", MAR25)), returns)
        on_hold = _secret(simplified("Not rated", "Study paused", MAR25))
        on_hold.values.update(not_rated_reason="On hold", not_rated_note="Paused until the spring")
        store_return(store, portfolio, "R-10", PERIOD, on_hold, returns)
    return path, db
