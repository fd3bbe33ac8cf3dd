"""The patient file (TOML or JSON): age, sex, weight, kidney function, time zone and other medicines.

Read only (dosewise never writes one): the CLI's ``--patient FILE`` and the exports read it, and every
field is type-checked by :mod:`dosewise.formats.reading`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal, cast

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Medication, Patient, SerumCreatinine, parse_creatinine_unit
from dosewise.domain.quantity import parse_amount
from dosewise.formats.reading import (
    quantity_from_json,
    read_bool,
    read_int,
    read_list,
    read_number,
    read_text,
    read_zone,
)

__all__ = ["patient_from_document"]

_PATIENT_KEYS = {
    "age",
    "sex",
    "weight_kg",
    "serum_creatinine",
    "creatinine",
    "crcl_ml_min",
    "egfr",
    "dialysis",
    "timezone",
    "medications",
    "name",
}


def patient_from_document(document: Mapping[str, Any]) -> Patient:
    """Read a patient file (already parsed from TOML or JSON); every field is type-checked.

    Numbers are numbers (not strings, not booleans: true is not 1), finite; dialysis is true or false
    (the string "no" is refused, not read as true); the time zone must be one the system knows.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput("a patient file is an object")
    unknown = set(document) - _PATIENT_KEYS
    if unknown:
        raise InvalidInput(f"patient: unknown fields {sorted(map(str, unknown))}")
    if "serum_creatinine" in document and "creatinine" in document:
        raise InvalidInput("patient: give serum_creatinine once (both 'serum_creatinine' and 'creatinine')")
    creatinine = None
    raw_scr = document.get("serum_creatinine", document.get("creatinine"))
    if raw_scr is not None:
        if not isinstance(raw_scr, Mapping) or "value" not in raw_scr or "unit" not in raw_scr:
            raise InvalidInput(
                'patient: serum_creatinine is {value = ..., unit = "mg/dL" or "umol/L"}',
                hint="a creatinine without its unit is refused: 1.2 mg/dL and 106 umol/L are the same value",
            )
        creatinine = SerumCreatinine(
            _lab_value(raw_scr["value"], "patient serum_creatinine value"),
            parse_creatinine_unit(read_text(raw_scr["unit"], "patient serum_creatinine unit")),
        )
    sex = document.get("sex")
    if sex is not None:
        sex = read_text(sex, "patient sex").strip().lower()
        sex = {"f": "female", "m": "male"}.get(sex, sex)
        if sex not in ("female", "male"):
            raise InvalidInput("patient: sex is 'female' or 'male' (used by Cockcroft-Gault)")
    medications = [
        _medication(item) for item in read_list(document.get("medications", []), "patient medications")
    ]
    age = document.get("age")
    if age is not None:
        age = read_int(age, "patient age (whole years)")

    def number(key: str) -> Fraction | None:
        return read_number(document[key], f"patient {key}") if document.get(key) is not None else None

    return Patient(
        age_years=age,
        sex=cast(Literal["female", "male"] | None, sex),
        weight_kg=number("weight_kg"),
        creatinine=creatinine,
        crcl_ml_min=number("crcl_ml_min"),
        egfr=number("egfr"),
        dialysis=read_bool(document.get("dialysis", False), "patient dialysis"),
        timezone=read_zone(document.get("timezone", "UTC"), "patient timezone"),
        medications=tuple(medications),
    )


def _lab_value(value: object, where: str) -> Fraction:
    """A {value, unit} result: a number, or decimal text as in the plan format's quantities ("1.2")."""
    if isinstance(value, str):
        return parse_amount(value)
    return read_number(value, where)


def _medication(item: object) -> Medication:
    if isinstance(item, str):
        return Medication(item)
    if isinstance(item, Mapping) and "name" in item:
        name = read_text(item["name"], "medication name")
        dose = (
            quantity_from_json(item["dose"], f"medication {name}") if item.get("dose") is not None else None
        )
        per_day = item.get("times_per_day")
        if per_day is not None:
            per_day = read_int(per_day, f"medication {name} times_per_day", low=1, high=24)
        return Medication(name, dose, per_day)
    raise InvalidInput(f"patient: medication '{str(item)[:60]}' needs a name")
