"""Build what the scorecard tests read: KPI sheets as an officer types them, and a store of returns.

`kpi_rows` gives the bundled example KPIs (September 2023) as text rows keyed by the
contract headers; `write_kpi_csv` writes rows as an officer exporting from Excel would;
`store_example_returns` simulates "the Most Complex projects' partners returned their
scripted highlight reports and they were accepted" (the JSON in `etl/demo/examples_data/returns/`).
"""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import ROOT, write_rows_csv
from etl.demo.examples import load_example_returns
from etl.store.db import Store
from helpers_store import store_return

EXAMPLE_KPIS_CSV = ROOT / "etl" / "demo" / "examples_data" / "kpis.csv"
EXAMPLE_KPIS_XLSX = ROOT / "inputs" / "kpis.xlsx"
EXAMPLE_RETURNS = ROOT / "etl" / "demo" / "examples_data" / "returns"
PUBLISHED_SCORECARD = Path(__file__).parent / "data" / "cpca_scorecard_sep23.csv"


def kpi_rows() -> list[dict[str, str]]:
    with open(EXAMPLE_KPIS_CSV, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def published_rows() -> list[dict[str, str]]:
    """Appendix 3 as published (September 2023), with its RAG rating per metric."""
    with open(PUBLISHED_SCORECARD, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


#: Write KPI rows to a CSV, as an officer exporting from Excel would (same as for a portfolio).
write_kpi_csv = write_rows_csv


def store_example_returns(
    store: Store, portfolio, folder: Path, periods: tuple[str, ...] = ("2023-07", "2023-08", "2023-09"),
    projects: tuple[str, ...] | None = None,
) -> int:
    """Accept the scripted example returns for these periods (and projects); how many."""
    scripted = load_example_returns(EXAMPLE_RETURNS)
    count = 0
    for period in periods:
        for project_id, example in sorted(scripted[period].items()):
            if projects is None or project_id in projects:
                store_return(store, portfolio, project_id, period, example.answers, folder, example.received)
                count += 1
    return count
