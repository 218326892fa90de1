"""Publishing for the public: the Performance Dashboard as a static site (overview, filters, map,
a page per project, open data), with its templates, script and style sheet as package data.

Like the workbook writers, it lays out a model of `etl.cycle` (`dashboard.Dashboard`) and
computes no rule of its own. May import: `etl.cycle`, `etl.rules`, `etl.contracts`, `schemas`,
`etl.errors`, `etl.config`, `etl.files`.
"""
