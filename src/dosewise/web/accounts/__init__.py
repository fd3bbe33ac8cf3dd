"""Accounts: register, sign in and out, the home page listing the records a person may open."""
