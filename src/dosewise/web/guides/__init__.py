"""Public guide pages (/guides/...) and their personal version inside a record (links to them: ``web.guide_links``)."""
