"""Today: doses due with what to take, logging, missed-dose advice, run-out forecast, dose history."""
