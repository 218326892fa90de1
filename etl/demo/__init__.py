"""The demo: the whole monthly cycle on bundled example data, and the partner filler that
types returns the way partners do. The example data is package data (`etl/demo/examples_data/`).

May import anything in `etl` (it drives the cycle through `etl.office.Office`).
"""
