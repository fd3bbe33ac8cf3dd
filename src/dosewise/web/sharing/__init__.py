"""Sharing: the patient grants and revokes caregiver or clinician access per person."""
