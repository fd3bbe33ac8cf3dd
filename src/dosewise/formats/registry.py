"""Every wire format by name: where its reader and writer live, its media type and its file extension.

``get("plan-document").write(plan, rules)`` or ``.read(document, kb)``: each format's own module documents
the arguments. A format's module is imported only when it is asked for, so listing the formats (or
reading a plan document) never imports the libraries another format needs (FHIR models, a PDF engine).

To add a format: write ``dosewise/formats/<name>.py`` (or a package) with its reader and/or writer over
domain values, then add one ``Entry`` to ``_ENTRIES`` below, and a test that ``get(<name>)`` reads what it
writes. Formats import the domain and the knowledge base only (import-linter enforces it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

__all__ = ["Entry", "Format", "UnknownFormat", "entries", "get", "names"]

Function = Callable[..., Any]


class UnknownFormat(LookupError):
    """A format name nobody registered (a programming error, not a user's input)."""


@dataclass(frozen=True)
class Entry:
    """One registered format: the names of its functions, resolved only by :func:`get`."""

    name: str
    summary: str
    media_type: str
    extension: str  # without the dot, e.g. "json", "ics", "pdf"
    module: str  # dotted path of the module that holds the reader and the writer
    reader: str | None = None  # the reading function's name in ``module``; None: dosewise only writes it
    writer: str | None = None  # the writing function's name in ``module``; None: dosewise only reads it


@dataclass(frozen=True)
class Format:
    """A registered format with its reader and writer loaded (either may be None, as registered)."""

    entry: Entry
    read: Function | None
    write: Function | None

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def media_type(self) -> str:
        return self.entry.media_type

    @property
    def extension(self) -> str:
        return self.entry.extension


_ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="plan-document",
        summary="the plan document (format dosewise.plan/1): plan --json, check, missed, simulate, the store",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.plan_document",
        reader="plan_from_document",
        writer="plan_to_document",
    ),
    Entry(
        name="patient-file",
        summary="the patient file (TOML or JSON): age, sex, weight, kidney function, medicines",
        media_type="application/toml",
        extension="toml",
        module="dosewise.formats.patient_file",
        reader="patient_from_document",
    ),
    Entry(
        name="dose-history",
        summary="a dose history {timezone, doses: [{at, dose}]} for simulate --history",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.dose_history",
        reader="history_from_document",
    ),
    Entry(
        name="fhir-r4",
        summary="FHIR R4 JSON: the record Bundle (written), a Bundle or MedicationRequest/Statement (read)",
        media_type="application/fhir+json",
        extension="json",
        module="dosewise.formats.fhir",
        reader="read_fhir",
        writer="record_bundle",
    ),
    Entry(
        name="icalendar",
        summary="the plan's doses as an iCalendar (RFC 5545) calendar, one event per dose",
        media_type="text/calendar",
        extension="ics",
        module="dosewise.formats.ical",
        writer="plan_calendar",
    ),
    Entry(
        name="clinician-report",
        summary="the clinician report as tagged PDF (PDF/UA-1)",
        media_type="application/pdf",
        extension="pdf",
        module="dosewise.formats.report",
        writer="clinician_pdf",
    ),
    Entry(
        name="schedule-sheet",
        summary="the patient's printable day-by-day schedule sheet as tagged PDF",
        media_type="application/pdf",
        extension="pdf",
        module="dosewise.formats.report",
        writer="schedule_pdf",
    ),
    Entry(
        name="guide",
        summary="a plain-language guide from the knowledge base (dosewise.guide/1 JSON)",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.guide",
        writer="guide_to_json",
    ),
    Entry(
        name="simulation",
        summary="one person's predicted levels (dosewise.simulation/1): simulate --json",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.simulation",
        writer="person_to_json",
    ),
    Entry(
        name="population",
        summary="a virtual population's percentiles (dosewise.population/1): simulate --population --json",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.simulation",
        writer="population_document",
    ),
    Entry(
        name="missed-dose",
        summary="the missed-dose advice: missed --json",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.missed_dose",
        writer="advice_to_json",
    ),
    Entry(
        name="triage",
        summary="the triage answer with what was read and the rules that fired: triage --json",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.triage",
        writer="triage_to_json",
    ),
    Entry(
        name="triage-summary",
        summary="what a symptom-diary entry stores of its triage (kept with the entry)",
        media_type="application/json",
        extension="json",
        module="dosewise.formats.triage",
        writer="triage_summary",
    ),
)
_BY_NAME = {entry.name: entry for entry in _ENTRIES}
assert len(_BY_NAME) == len(_ENTRIES), "two formats registered under one name"


def names() -> tuple[str, ...]:
    """Every registered format name, in registration order."""
    return tuple(entry.name for entry in _ENTRIES)


def entries() -> tuple[Entry, ...]:
    """Every registration, without importing any format's module."""
    return _ENTRIES


def get(name: str) -> Format:
    """The format registered as ``name``, its module imported now; :class:`UnknownFormat` otherwise."""
    entry = _BY_NAME.get(name)
    if entry is None:
        raise UnknownFormat(f"no format named '{name}' (known: {', '.join(names())})")
    module = import_module(entry.module)
    return Format(
        entry,
        read=getattr(module, entry.reader) if entry.reader else None,
        write=getattr(module, entry.writer) if entry.writer else None,
    )
