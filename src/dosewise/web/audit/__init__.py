"""The audit trail page and API."""
