"""FHIR R4 vocabulary dosewise writes and reads: code systems, UCUM dose units, RxNorm codings, exact
decimals and deterministic resource ids. One place for each code, so reader and writer cannot disagree.

Only codes the knowledge base marks verified are claimed (the ingredient's RxCUI with
``rxcui_status = "verified"``); product RxCUIs carry no verification status in the knowledge base and
are not written. dosewise's own codes use ``urn:dosewise:...`` systems, which claim nothing about any
external terminology.
"""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit, format_amount
from dosewise.domain.rules import Ingredient, KnowledgeBase
from dosewise.domain.screening import resolve

__all__ = [
    "DOSE_RATE_ORDERED",
    "EXT_PLAN",
    "FINDING_SYSTEM",
    "IDENTIFIER_SYSTEMS",
    "KB_TAG_SYSTEM",
    "OBSERVATION_CATEGORY",
    "RXNORM",
    "TRIAGE_SYSTEM",
    "UCUM",
    "FhirUnsupported",
    "clean_strings",
    "codeable",
    "decimal_value",
    "dose_quantity",
    "fhir_string",
    "ingredient_coding",
    "quantity_from_fhir",
    "resource_id",
]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
DOSE_RATE_ORDERED = {
    "coding": [{"system": DOSE_RATE_TYPE, "code": "ordered", "display": "Ordered"}],
}
# dosewise's own systems: URNs, because dosewise has no canonical web address to claim.
EXT_PLAN = "urn:dosewise:fhir:extension:plan"
FINDING_SYSTEM = "urn:dosewise:finding"
TRIAGE_SYSTEM = "urn:dosewise:triage-level"
KB_TAG_SYSTEM = "urn:dosewise:knowledge-base-version"
IDENTIFIER_SYSTEMS = {
    "patient": "urn:dosewise:patient",
    "plan": "urn:dosewise:plan",
    "plan-group": "urn:dosewise:plan-group",
    "medication": "urn:dosewise:medication",
    "dose": "urn:dosewise:dose-event",
    "symptom": "urn:dosewise:symptom-entry",
    "checkin": "urn:dosewise:check-in",
}

# UCUM code <-> dosewise unit. "ug" is UCUM's microgram; people read "mcg" (safe writing), never "µg".
_UCUM_OF: dict[Unit, tuple[str, str]] = {
    Unit.MG: ("mg", "mg"),
    Unit.MCG: ("ug", "mcg"),
    Unit.ML: ("mL", "mL"),
    Unit.UNITS: ("[U]", "U"),
}
_UNIT_OF_UCUM = {code: unit for unit, (code, _) in _UCUM_OF.items()}
# The namespace of dosewise's deterministic resource ids (uuid5): the same record exports the same ids.
_ID_NAMESPACE = uuid.UUID("6f1c2b1e-4d53-5a7e-9c0b-3f2a8d6e1b47")


class FhirUnsupported(InvalidInput):
    """A FHIR input dosewise cannot read without guessing; ``where`` names the element (a FHIRPath-like path)."""

    code = "fhir_unsupported"

    def __init__(self, where: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{where}: {message}", hint=hint, field=where)
        self.where = where


def fhir_string(text: str) -> str:
    """Text as a valid FHIR string: control characters and whitespace other than space, tab, CR and LF (a
    no-break space, U+0085, U+2028) become a space, because R4 strings match ``[ \\r\\n\\t\\S]+``."""
    return "".join(
        " "
        if (ch.isspace() and ch not in " \t\r\n")
        or (unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
        or ch == "\ufeff"
        else ch
        for ch in text
    )


def clean_strings(node: Any) -> Any:
    """Every string of a resource through ``fhir_string`` (one place, so no free text escapes it)."""
    if isinstance(node, str):
        return fhir_string(node)
    if isinstance(node, dict):
        return {key: clean_strings(value) for key, value in node.items()}
    if isinstance(node, list):
        return [clean_strings(value) for value in node]
    return node


def resource_id(*parts: object) -> str:
    """A stable FHIR id (a UUID) from what the resource stands for, never from time or randomness."""
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(part) for part in parts)))


def decimal_value(amount: Fraction) -> int | float:
    """A FHIR decimal for an exact amount: an int, or a float whose shortest text is the exact decimal.

    ``format_amount`` refuses an amount with no exact decimal form (a third of a milligram), so nothing is
    ever rounded on the way out.
    """
    text = format_amount(amount)
    if "." not in text:
        return int(text)
    value = float(text)
    if Fraction(repr(value)) != amount:  # pragma: no cover - doses have far fewer than 15 digits
        raise InvalidInput(f"{text} cannot be written exactly as a JSON number")
    return value


def exact_decimal(value: object, where: str) -> Fraction:
    """A FHIR decimal read exactly: an int, a Decimal (json ``parse_float=Decimal``) or a float read by its
    shortest text (2.5, never 2.4999...). Booleans, strings, NaN and infinities are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FhirUnsupported(where, f"'{str(value)[:40]}' is not a number")
    try:
        decimal = (
            value
            if isinstance(value, Decimal)
            else Decimal(repr(value) if isinstance(value, float) else value)
        )
        if not decimal.is_finite():
            raise FhirUnsupported(where, "the number is not finite")
        return Fraction(decimal)
    except InvalidOperation as exc:  # pragma: no cover - repr of a finite float is always a decimal
        raise FhirUnsupported(where, f"'{value}' is not a decimal") from exc


def dose_quantity(dose: Quantity) -> dict[str, Any]:
    """A UCUM quantity: value, the unit people read ("mcg") and the UCUM code ("ug")."""
    code, shown = _UCUM_OF[dose.unit]
    return {"value": decimal_value(dose.amount), "unit": shown, "system": UCUM, "code": code}


def quantity_from_fhir(raw: object, where: str, *, allowed: tuple[Unit, ...]) -> Quantity:
    """Read a Quantity exactly; the UCUM code decides the unit and must agree with the unit text.

    A quantity without a UCUM code, a code outside ``allowed`` ("{tablet}", "mL" for a mass) or a unit text
    that names another unit ("mg" beside the code "ug") is refused: a mg/mcg slip is a thousandfold error.
    """
    if not isinstance(raw, dict):
        raise FhirUnsupported(where, "a quantity is an object with value, system and code")
    if raw.get("comparator") is not None:
        raise FhirUnsupported(where, f"a dose with the comparator '{raw['comparator']}' is not an exact dose")
    if "value" not in raw:
        raise FhirUnsupported(where, "the quantity has no value")
    amount = exact_decimal(raw["value"], f"{where}.value")
    if amount < 0:
        raise FhirUnsupported(f"{where}.value", "a dose cannot be negative")
    system, code = raw.get("system"), raw.get("code")
    if system != UCUM or not isinstance(code, str):
        raise FhirUnsupported(
            where,
            f"the dose unit must be a UCUM code (system {UCUM}); got system {system!r}, code {code!r}",
            hint="write doseQuantity with system http://unitsofmeasure.org and code mg or ug",
        )
    unit = _UNIT_OF_UCUM.get(code)
    if unit is None or unit not in allowed:
        names = ", ".join(_UCUM_OF[u][0] for u in allowed)
        raise FhirUnsupported(
            f"{where}.code",
            f"UCUM '{code}' is not accepted here (accepted: {names})",
            hint="dosewise plans doses as a mass (mg or ug); tablets or mL are worked out from the products",
        )
    shown = raw.get("unit")
    if shown is not None and not _unit_text_agrees(str(shown), unit):
        raise FhirUnsupported(
            f"{where}.unit",
            f"the unit text '{shown}' disagrees with the UCUM code '{code}'",
            hint="a mg/mcg disagreement is refused rather than guessed",
        )
    return Quantity(amount, unit)


def _unit_text_agrees(shown: str, unit: Unit) -> bool:
    words = {
        Unit.MG: {"mg", "milligram", "milligrams"},
        Unit.MCG: {"mcg", "ug", "µg", "μg", "microgram", "micrograms"},
        Unit.ML: {"ml", "millilitre", "milliliter", "millilitres", "milliliters"},
        Unit.UNITS: {"u", "[u]", "unit", "units"},
    }
    return shown.strip().lower() in words[unit]


def ingredient_coding(ingredient: Ingredient | None) -> list[dict[str, str]]:
    """The RxNorm coding of an ingredient, only when the knowledge base marks its RxCUI verified."""
    if ingredient is None or not ingredient.rxcui or ingredient.rxcui_status != "verified":
        return []
    return [{"system": RXNORM, "code": ingredient.rxcui, "display": ingredient.name}]


def codeable(name: str, kb: KnowledgeBase) -> dict[str, Any]:
    """A medicine as written, with its verified RxNorm ingredient code when the name is one ingredient."""
    resolution = resolve(name, kb)
    concept: dict[str, Any] = {"text": name}
    if resolution.screened and len(resolution.ingredients) == 1:
        coding = ingredient_coding(resolution.ingredient)
        if coding:
            concept["coding"] = coding
    return concept
