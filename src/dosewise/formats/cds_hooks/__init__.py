"""CDS Hooks 2.0.1 (HL7/cds-hooks tag v2.0.1): the request as dosewise reads it (hook, context, draft
orders and prefetched FHIR R4 resources) and the answer it writes (discovery, cards, suggestions).

``fhir_read`` is a focused reading of the R4 resources a hook carries (MedicationRequest, Patient,
Observation, Bundle); ``request`` checks the request's shape; ``cards`` writes cards and the FHIR resources
their suggestions carry.
"""
