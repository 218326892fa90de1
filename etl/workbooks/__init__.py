"""Every xlsxwriter layout pmo writes, and the one module of formats they share (`formats`).

Writers read the models of `etl.cycle` and lay them out; they compute no rule of their own.
May import: `etl.cycle`, `etl.rules`, `etl.contracts`, `etl.errors`, `etl.config`, `etl.files`.
"""
