"""The patient record: profile with kidney function, and the medication list with its interaction panel."""
