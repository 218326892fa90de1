"""The contracts with the outside: the template's fields (defined names) and how an officer's
table (portfolio, KPIs, actions) is read and its problems reported.

May import: `etl.rules`, `etl.errors`, `etl.config`. The pandera schemas in `schemas/` build on it.
"""
