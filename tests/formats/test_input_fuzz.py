"""Bounded fuzz of the three loaders (plan document, patient file, dose history) and of the file decoder.

The only allowed outcomes are a parsed value or InvalidInput (exit 2 on the CLI): any other exception is
a traceback a user would see. Structures are random JSON-like values mixed with plausible field values
so that the fuzz reaches deep into each loader, and raw bytes go through decode_document first.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.dose_history import history_from_document
from dosewise.formats.patient_file import patient_from_document
from dosewise.formats.plan_document import plan_from_document
from dosewise.formats.reading import decode_document

FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
plausible = st.sampled_from(
    [
        "2026-11-23",
        "9999-12-31",
        "0001-01-01",
        "2026-11-23T08:00:00+01:00",
        "2026-11-23T08:00:00",
        "10 mg",
        "5 mcg",
        "-5 mg",
        "0 mg",
        "1e400 mg",
        "nan mg",
        {"value": "10", "unit": "mg"},
        {"value": 10, "unit": "mg"},
        {"value": True, "unit": "mg"},
        {"value": float("nan"), "unit": "mg"},
        {"value": "1.2", "unit": "mg/dL"},
        {"value": 106, "unit": "umol/L"},
        3,
        0,
        7,
        10**9,
        True,
        "no",
        "Europe/Paris",
        "Mars/Olympus",
        "../../etc/passwd",
        "baclofen",
        "tizanidine",
        "08:00",
        "25:99",
        ["08:00", "20:00"],
        ["08:00", "08:00"],
        "continue",
        "stop",
        "taper",
        "major",
        "dosewise.plan/1",
    ]
)
json_like = st.recursive(
    st.one_of(scalars, plausible),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
value = st.one_of(plausible, json_like)

VALID_PLAN: dict[str, Any] = {
    "drug": "baclofen",
    "kind": "titration",
    "timezone": "Europe/Paris",
    "products": ["baclofen-tab-10mg"],
    "prior": {"dose": "5 mg", "times_per_day": 3},
    "overrides": [],
    "findings": [{"severity": "info", "code": "x", "message": "m", "step": 0}],
    "notes": ["a note"],
    "steps": [
        {"start": "2026-11-23", "days": 7, "dose": "5 mg", "times_per_day": 3},
        {"days": 7, "dose": {"value": "10", "unit": "mg"}, "times": ["08:00", "14:00", "20:00"]},
        {"end": "2026-12-20", "dose": "10 mg", "times_per_day": 3, "daily": "30 mg"},
    ],
}
VALID_PATIENT: dict[str, Any] = {
    "age": 70,
    "sex": "female",
    "weight_kg": 60,
    "serum_creatinine": {"value": 1.1, "unit": "mg/dL"},
    "crcl_ml_min": 40,
    "egfr": 45,
    "dialysis": False,
    "timezone": "Europe/London",
    "medications": ["oxycodone", {"name": "gabapentin", "dose": "300 mg", "times_per_day": 3}],
}
VALID_HISTORY: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "doses": [
        {"at": "2026-01-10T08:00:00+01:00", "dose": "10 mg"},
        {"at": "2026-01-10T14:00:00+01:00", "dose": {"value": 10, "unit": "mg"}, "note": "late"},
    ],
}
_DELETE = object()


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path in a document (so a mutation can land anywhere, including deep)."""
    out = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, item in document.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(document, list):
        for index, item in enumerate(document):
            out += _paths(item, (*prefix, index))
    return out


def _mutate(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    head, rest = path[0], path[1:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    if rest:
        copy[head] = _mutate(copy[head], rest, new)
    elif new is _DELETE:
        del copy[head]
    else:
        copy[head] = new
    return copy


def mutants(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid document with one to three fields replaced by random values or deleted."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        document: Any = valid
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            candidates = _paths(document)
            if not candidates:
                break
            path = draw(st.sampled_from(candidates))
            document = _mutate(document, path, draw(st.one_of(st.just(_DELETE), value)))
        return dict(document)

    return build()


def objects(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are the format's own, each present or not, with random values."""
    return st.fixed_dictionaries({}, optional={key: value for key in keys})


PLAN_KEYS = ["format", "drug", "route", "kb_version", "kind", "timezone", "then", "products"]
PLAN_KEYS += ["confirmed_scored", "prior", "findings", "overrides", "notes", "dispense", "steps"]
PATIENT_KEYS = ["age", "sex", "weight_kg", "serum_creatinine", "creatinine", "crcl_ml_min", "egfr"]
PATIENT_KEYS += ["dialysis", "timezone", "medications", "name"]
plans = st.one_of(mutants(VALID_PLAN), objects(PLAN_KEYS))
patients = st.one_of(mutants(VALID_PATIENT), objects(PATIENT_KEYS))
histories = st.one_of(mutants(VALID_HISTORY), objects(["timezone", "doses", "drug"]))


def outcome(call: Any, *args: Any) -> object:
    """The loader's result, or None for an InvalidInput; anything else propagates and fails the test."""
    try:
        return call(*args)
    except InvalidInput as error:
        message = error.message
    assert message.strip(), "an input error always says what is wrong"
    return None


@FUZZ
@given(document=plans)
def test_random_plan_documents_parse_or_raise_an_input_error(
    kb: KnowledgeBase, document: dict[str, Any]
) -> None:
    """A random plan-shaped structure is a Plan or an InvalidInput, never another exception."""
    result = outcome(plan_from_document, document, kb)
    assert result is None or isinstance(result, Plan)


@FUZZ
@given(document=patients)
def test_random_patient_files_parse_or_raise_an_input_error(document: dict[str, Any]) -> None:
    """A random patient-shaped structure is a Patient or an InvalidInput, never another exception."""
    result = outcome(patient_from_document, document)
    assert result is None or isinstance(result, Patient)


@FUZZ
@given(document=histories)
def test_random_dose_histories_parse_or_raise_an_input_error(document: dict[str, Any]) -> None:
    """A random history-shaped structure is a list of dose events or an InvalidInput."""
    result = outcome(history_from_document, document)
    assert result is None or (isinstance(result, tuple) and result[0])


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"[", b"{", b"a = ", b'{"a": NaN}']).flatmap(
            lambda head: st.binary(max_size=60).map(lambda tail: head + tail)
        ),
    ),
    name=st.sampled_from(["plan.json", "patient.toml", "history", "<stdin>"]),
)
def test_random_bytes_decode_and_load_or_raise_an_input_error(
    kb: KnowledgeBase, raw: bytes, name: str
) -> None:
    """Random bytes go through the decoder and all three loaders with only InvalidInput as a failure."""
    document = outcome(decode_document, raw, name)
    if document is not None:
        assert isinstance(document, dict)
        outcome(plan_from_document, document, kb)
        outcome(patient_from_document, document)
        outcome(history_from_document, document)


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_deeply_nested_files_are_an_input_error_not_a_recursion_crash(depth: int) -> None:
    """Nesting beyond the guard (including past Python's recursion limit) is refused as invalid input."""
    with pytest.raises(InvalidInput, match="nested"):
        decode_document(b'{"a":' * depth + b"1" + b"}" * depth, "x.json")
