"""dosewise layer."""
