"""Public guide pages (/guides/...), their personal version inside a record, and links to them."""
