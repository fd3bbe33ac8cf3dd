"""Downloads of the record: the whole record as a FHIR R4 Bundle (also the patient's "all my data")."""
