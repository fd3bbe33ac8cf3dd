"""Server-rendered pages and the JSON API; entry point only (services come from dosewise.bootstrap)."""
