"""The history store: all SQL lives here. Plain values go in and come out; nothing here knows
about workbooks, e-mail wording or the CLI.

May import: `etl.rules`, `etl.contracts`, `etl.errors`, `etl.config`, `etl.files`.
"""
