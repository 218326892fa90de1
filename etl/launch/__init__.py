"""`python -m pmo`: the `pmo` command run as a module.

Installed as the package `pmo` (pyproject.toml maps it to this folder), so that
`python -m pmo …` works wherever pmo is installed, as `python -m etl …` does too.
May import: `cli` only.
"""
