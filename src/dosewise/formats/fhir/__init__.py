"""FHIR R4 (JSON): the record as a Bundle, a plan as MedicationRequests, and the reader back.

Plain dicts, not a model library: ``fhir.resources`` has no R4 package (its R4B models let R5 codes leak)
and validates nothing that matters here; the tests validate every export with an independent pipeline
(the R4 JSON schema, the official R4 invariants, required bindings and cardinalities).
"""

from dosewise.formats.fhir.codes import FhirUnsupported
from dosewise.formats.fhir.dosage import DosageReading, read_dosage
from dosewise.formats.fhir.plan import REQUEST_STATUSES, PlanRequests, plan_requests
from dosewise.formats.fhir.reader import (
    FhirImport,
    medication_from_resource,
    plan_from_medication_requests,
    read_fhir,
)
from dosewise.formats.fhir.record import (
    CheckInData,
    DoseData,
    ListedMedicine,
    RecordExport,
    SymptomData,
    record_bundle,
)

__all__ = [
    "REQUEST_STATUSES",
    "CheckInData",
    "DosageReading",
    "DoseData",
    "FhirImport",
    "FhirUnsupported",
    "ListedMedicine",
    "PlanRequests",
    "RecordExport",
    "SymptomData",
    "medication_from_resource",
    "plan_from_medication_requests",
    "plan_requests",
    "read_dosage",
    "read_fhir",
    "record_bundle",
]
