"""Wire formats: each format's reader and writer side by side, over domain values.

One sub-package or module per format (the plan document, the patient file, FHIR R4, iCalendar, the PDF
reports, ...). Formats import the domain and the knowledge base only: never services, adapters or the
entry points (import-linter enforces it), so a format can be read and written without a database.
"""
