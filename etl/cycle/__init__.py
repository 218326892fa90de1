"""The monthly cycle's models, in the order an officer meets them: portfolio, status, templates
(what to prefill), reader and ingest, register, scorecard, highlight, close-down, and the public
dashboard (with `boundaries`, the districts it maps).

Models build plain data; they never import a writer (`etl.workbooks`, `etl.publish`) or the
mail package. May import: `etl.rules`, `etl.contracts`, `schemas`, `etl.store`, `etl.errors`,
`etl.config`, `etl.files`.
"""
