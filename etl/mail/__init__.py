"""E-mail: compose messages from the office's templates, deliver them (SMTP, `.eml` drafts or a
dry run), log each in the store's outbox, and plan send, chase and feedback.

The bundled message templates are package data (`etl/mail/email_templates/`).
May import: `etl.cycle`, `etl.store`, `etl.rules`, `etl.contracts`, `etl.errors`, `etl.config`,
`etl.files`.
"""
