"""The rules of the cycle as small pure functions: periods and who reports when, the project
RAG scale and direction of travel, the KPI rating rules, and how typed values are read.

May import: `etl.errors` and the standard library only. Everything else may import this.
"""
