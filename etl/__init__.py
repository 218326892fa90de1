"""pmo's library: the programme office's monthly cycle, usable from Python as from the `pmo` command.

The folder tree reads as the architecture (each sub-package's docstring says what lives there
and what it may import; docs/design.md draws the whole):

    rules/      pure rules: periods and who reports when, RAG, KPI ratings, values, dates
    contracts/  the template's fields and how officers' tables are read
    store/      the history store: all SQL
    cycle/      the cycle's models: portfolio, status, templates, reader, ingest, register,
                scorecard, highlight, close-down
    workbooks/  every workbook layout, and the one module of formats
    documents/  Word papers: the corporate performance report's committee paper
    mail/       compose, deliver and log e-mails; send, chase, feedback
    demo/       the whole cycle on bundled example data
    office.py   `Office`: one object, a method per command

Everyday use from Python goes through `Office`:

    from etl import Office, Period
    office = Office(inputs="inputs", outputs="outputs", db="pmo.db")
    result = office.ingest("inputs/returns/2024-09", Period.parse("2024-09"))
"""

from etl.config import Settings, load_settings
from etl.errors import ConfigError, PmoError, PortfolioError, Problem
from etl.office import Office
from etl.rules.periods import Period

__all__ = ["ConfigError", "Office", "Period", "PmoError", "PortfolioError", "Problem", "Settings", "load_settings"]
