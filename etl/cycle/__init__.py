"""The monthly cycle's models, in the order an officer meets them: portfolio, status, templates
(what to prefill), reader and ingest, register, scorecard, highlight, close-down.

Models build plain data; they never import a workbook writer (`etl.workbooks`) or the mail
package. May import: `etl.rules`, `etl.contracts`, `schemas`, `etl.store`, `etl.errors`,
`etl.config`, `etl.files`.
"""
