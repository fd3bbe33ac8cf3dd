"""Diary: symptoms with triage, daily check-in, and the planned-against-taken chart."""
