"""Shared fixtures: the bundled example portfolio and a scratch folder per test.

Test-area helpers live in their own modules (`tests/helpers_*.py`), not here.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAMPLE_PORTFOLIO_CSV = ROOT / "etl" / "demo" / "examples_data" / "portfolio.csv"
EXAMPLE_PORTFOLIO_XLSX = ROOT / "inputs" / "portfolio.xlsx"


def office_for(outputs: Path, db: Path | None = None, portfolio: Path = EXAMPLE_PORTFOLIO_XLSX, settings=None):
    """An `Office` for a test: its outputs and store in the test's folders, default settings
    (never the checkout's `inputs/pmo.toml` or `./pmo.db`)."""
    from etl.config import Settings
    from etl.office import Office

    return Office(outputs=outputs, db=db or Path(outputs) / "pmo.db", portfolio_path=portfolio,
                  settings=settings or Settings())


def example_rows() -> list[dict[str, str]]:
    """The example portfolio's rows as text, keyed by the contract headers."""
    with open(EXAMPLE_PORTFOLIO_CSV, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows_csv(rows: list[dict[str, str]], path: Path) -> Path:
    """Write portfolio-shaped rows to a CSV, as an officer exporting from Excel would."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def portfolio_rows() -> list[dict[str, str]]:
    return example_rows()


# ----------------------------------------------------------------- the store's two backends


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL server for the session (see helpers_pg); required under CI."""
    from helpers_pg import PgCluster, available

    if not available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL 15 is not installed (.ci/run installs it)")
        pytest.skip("PostgreSQL 15 server programs not installed here")
    cluster = PgCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Which store the test runs against: each such test runs once on each."""
    return request.param


@pytest.fixture
def store_url(backend, tmp_path, request):
    """An empty store of the test's backend: an SQLite path, or a fresh database's URL."""
    if backend == "sqlite":
        return tmp_path / "pmo.db"
    return request.getfixturevalue("pg_cluster").new_database()
