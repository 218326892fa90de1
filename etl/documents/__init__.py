"""Documents for people to read (Word papers), written from the cycle's models.

A document writer may import the models (`etl.cycle`), the rules (`etl.rules`), the
settings (`etl.config`), atomic writes (`etl.files`) and the colours of
`etl.workbooks.formats` (so a RAG looks the same in a workbook and in a paper); nothing
else of pmo. Models never import it: `etl.office` calls it after a model has run.
"""
