"""The history store: all SQL lives here (db: the Store; backend: SQLite or PostgreSQL;
runs: who did what; copy: moving a store between backends). Plain values go in and come
out; nothing here knows about workbooks, e-mail wording or the CLI.

May import: `etl.rules`, `etl.contracts`, `etl.errors`, `etl.config`, `etl.files`.
"""
