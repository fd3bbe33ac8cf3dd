"""The clinician report and the schedule sheet: a page with both downloads, and the API."""
