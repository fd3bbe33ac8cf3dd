"""The format registry: every name resolves to its reader and writer, lazily, and nothing else resolves."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from dosewise.domain.rules import KnowledgeBase
from dosewise.formats import registry
from dosewise.formats.reading import decode_document
from dosewise.services import planning


def test_the_plan_document_format_writes_what_it_reads(kb: KnowledgeBase) -> None:
    """get("plan-document") gives the plan writer and reader; what one writes the other reads back equal."""
    plan_format = registry.get("plan-document")
    assert (plan_format.media_type, plan_format.extension) == ("application/json", "json")
    assert plan_format.read is not None
    assert plan_format.write is not None
    plan = planning.titrate(kb=kb, drug="tizanidine", start=date(2026, 11, 23))
    text = json.dumps(plan_format.write(plan, kb.drug(plan.drug)))
    assert plan_format.read(decode_document(text.encode(), "plan.json"), kb) == plan


def test_the_patient_file_and_dose_history_are_read_only_formats() -> None:
    """The patient file and the dose history have a reader and no writer (dosewise never writes them)."""
    patient = registry.get("patient-file")
    history = registry.get("dose-history")
    assert patient.write is None
    assert history.write is None
    assert patient.read is not None
    assert history.read is not None
    read = patient.read({"age": 70, "crcl_ml_min": 40, "timezone": "Europe/Paris"})
    assert (read.age_years, read.timezone) == (70, "Europe/Paris")
    events, zone = history.read(
        {"timezone": "UTC", "doses": [{"at": "2026-11-23T08:00+00:00", "dose": "5 mg"}]}
    )
    assert zone == "UTC"
    assert str(events[0].dose) == "5 mg"


def test_every_registered_function_exists_in_a_formats_module() -> None:
    """Each entry names a module under dosewise.formats and functions that module really has."""
    assert registry.names() == tuple(entry.name for entry in registry.entries())
    for entry in registry.entries():
        assert entry.module.startswith("dosewise.formats."), entry
        assert entry.reader or entry.writer, f"{entry.name} neither reads nor writes"
        assert not entry.extension.startswith("."), entry
        found = registry.get(entry.name)
        assert (found.read is None) == (entry.reader is None)
        assert (found.write is None) == (entry.writer is None)
        assert found.name == entry.name


def test_an_unknown_format_name_is_refused_with_the_known_names() -> None:
    """A misspelt format name raises UnknownFormat listing the registered names, never returns None."""
    with pytest.raises(registry.UnknownFormat, match="plan-document"):
        registry.get("plan-documnet")


def test_listing_the_formats_imports_none_of_them() -> None:
    """names() and entries() import no format module (a format's heavy library loads only when asked for)."""
    probe = (
        "import sys\n"
        "from dosewise.formats import registry\n"
        "registry.names(); registry.entries()\n"
        "print(sorted(m for m in sys.modules if m.startswith('dosewise.formats.') and m != 'dosewise.formats.registry'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
