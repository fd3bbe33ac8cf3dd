"""pk.toml: validated with extra fields forbidden, units on every number, derived values checked."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from dosewise.domain.errors import KnowledgeError
from dosewise.knowledge.pk import load_parameter_sets, parse_pk_quantity


def _with(kb, mutate):
    """The knowledge base with baclofen's pk.toml section edited in memory (load-time checks: tests/knowledge)."""
    raw = copy.deepcopy(kb.pk["baclofen"])
    mutate(raw)
    return replace(kb, pk={**kb.pk, "baclofen": raw})


def test_every_parameter_set_builds_with_resolved_sources(kb) -> None:
    """Both sets load, and every number cites sources that exist in sources.toml."""
    sets, file = load_parameter_sets(kb, "baclofen")
    assert set(sets) == {"simon2018", "kochak1985"}
    assert file.default_set == "simon2018"
    for parameter_set in sets.values():
        for parameter in (
            parameter_set.ka,
            parameter_set.cl_f,
            parameter_set.v_f,
            parameter_set.renal.renal_fraction,
        ):
            assert parameter.source_ids
            assert all(source in kb.sources for source in parameter.source_ids)
            assert parameter.citation


def test_published_numbers_are_used_as_published(kb) -> None:
    """Simon's ka, CL/F, V/F and Kochak's CL/F (180 mL/min = 10.8 L/h) come through unchanged."""
    sets, _ = load_parameter_sets(kb, "baclofen")
    simon, kochak = sets["simon2018"], sets["kochak1985"]
    assert (simon.ka.value, simon.cl_f.value, simon.v_f.value) == (1.64, 11.6, 72.8)
    assert kochak.cl_f.value == pytest.approx(10.8)
    assert kochak.alpha is not None
    assert kochak.beta is not None
    assert (kochak.alpha.value, kochak.beta.value, kochak.v_f.value) == (1.29, 0.191, 28.8)


def test_reference_crcl_is_fe_times_apparent_clearance(kb) -> None:
    """Simon's reference CrCl is 0.69 x 11.6 L/h = 133.4 mL/min; the renal share is 0.69 / 0.74."""
    simon = load_parameter_sets(kb, "baclofen")[0]["simon2018"]
    assert simon.renal.reference_crcl_ml_min.value == pytest.approx(0.69 * 11.6 / 0.06)
    assert simon.renal.renal_fraction.value == pytest.approx(0.69 / 0.74)


def test_an_unknown_field_is_rejected(kb) -> None:
    """extra="forbid": a misspelt key fails the load instead of being ignored."""
    broken = _with(kb, lambda raw: raw["sets"]["simon2018"].__setitem__("kaa", "1 1/h"))
    with pytest.raises(KnowledgeError, match="schema"):
        load_parameter_sets(broken, "baclofen")


def test_a_number_without_its_unit_is_rejected(kb) -> None:
    """A bare "11.6" where "11.6 L/h" belongs fails validation."""
    broken = _with(kb, lambda raw: raw["sets"]["simon2018"]["cl_f"].__setitem__("value", "11.6"))
    with pytest.raises(KnowledgeError, match="schema"):
        load_parameter_sets(broken, "baclofen")


def test_a_derived_value_that_disagrees_with_its_inputs_is_rejected(kb) -> None:
    """Editing fe without the expected renal share is caught at load."""
    broken = _with(kb, lambda raw: raw["sets"]["simon2018"]["renal"].__setitem__("fe_oral", "70 %"))
    with pytest.raises(KnowledgeError, match="disagree"):
        load_parameter_sets(broken, "baclofen")


def test_an_unknown_source_id_is_rejected(kb) -> None:
    """A parameter citing a source that sources.toml does not hold fails the load."""
    broken = _with(kb, lambda raw: raw["sets"]["simon2018"]["ka"].__setitem__("sources", ["nobody_2030"]))
    with pytest.raises(KnowledgeError, match="nobody_2030"):
        load_parameter_sets(broken, "baclofen")


def test_units_convert_visibly() -> None:
    """The parser returns the number with its unit; mL/min is never mistaken for L/h."""
    assert parse_pk_quantity("180 mL/min") == (180.0, "mL/min")
    assert parse_pk_quantity("1.64 1/h") == (1.64, "1/h")
    with pytest.raises(ValueError, match="unit"):
        parse_pk_quantity("180")


def test_a_label_fe_that_implies_more_than_all_clearance_is_rejected(kb) -> None:
    """The label's 80% with F = 74% would make renal clearance exceed total clearance, so it is refused."""
    broken = _with(kb, lambda raw: raw["sets"]["simon2018"]["renal"].__setitem__("fe_oral", "80 %"))
    with pytest.raises(KnowledgeError, match="impossible"):
        load_parameter_sets(broken, "baclofen")
