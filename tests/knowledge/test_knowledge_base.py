"""The knowledge base: it loads, every rule is sourced and graded, codes are well formed and match the
clinical reference, every number carries its unit, and a defective copy is refused at load."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.quantity import Unit, mg, parse_concentration
from dosewise.domain.rules import KnowledgeBase, Provenance, Scored
from dosewise.knowledge import available_versions, default_version, load_knowledge_base
from dosewise.knowledge.loader import data_root

GRADES = {"H", "M-H", "M", "L-M", "L", "derived", "policy"}
ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
DATA = data_root() / default_version()

# clinical-reference.md section 5.2: (ingredient id, RxCUI, ATC) for the rows marked verified there.
VERIFIED_BOTH = [
    ("baclofen", "1292", "M03BX01"),
    ("dantrolene", "3105", "M03CA01"),
    ("diazepam", "3322", "N05BA01"),
    ("gabapentin", "25480", "N02BF01"),
    ("lorazepam", "6470", "N05BA06"),
    ("temazepam", "10355", "N05CD07"),
    ("fluvoxamine", "42355", "N06AB08"),
    ("tramadol", "10689", "N02AX02"),
    ("levodopa", "6375", "N04BA01"),
    ("lisinopril", "29046", "C09AA03"),
    ("levofloxacin", "82122", "J01MA12"),
]
# Section 5.2 rows whose RxCUI is verified but whose ATC (if any) is not.
VERIFIED_RXCUI_ONLY = [
    ("ciprofloxacin", "2551"),
    ("oxycodone", "7804"),
    ("morphine", "7052"),
    ("codeine", "2670"),
    ("fentanyl", "4337"),
    ("methadone", "6813"),
    ("midazolam", "6960"),
    ("amitriptyline", "704"),
    ("nortriptyline", "7531"),
    ("imipramine", "5691"),
    ("carisoprodol", "2101"),
    ("ethanol", "448"),
]
# Section 5.2 rows that are recollections, not verified: the knowledge base must not call them verified.
UNVERIFIED = [
    "tizanidine",
    "pregabalin",
    "cyclobenzaprine",
    "methocarbamol",
    "alprazolam",
    "clonazepam",
    "zolpidem",
    "diphenhydramine",
    "hydroxyzine",
    "phenelzine",
    "tranylcypromine",
    "selegiline",
    "lithium",
    "onabotulinumtoxina",
]
# Bare numbers are allowed only where the field name states the unit (a count of days, hours...), for a
# dimensionless ratio, or for a code.
UNIT_IN_NAME = (
    "days",
    "_weeks",
    "_years",
    "_hours",
    "_celsius",
    "times_per_day",
    "order",
    "min_matched",
    "consecutive_missed",
    "min_ingredients",
)
RATIOS = ("multiplier", "max_single_reduction", "_fraction_below", "multiple_of_screening_dose")
CODES = ("rxcui", "version")


def ingredient(kb: KnowledgeBase, ingredient_id: str) -> Any:
    return next(i for i in kb.ingredients if i.id == ingredient_id)


def walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every table and leaf of a parsed TOML document, with its path."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, str(index)))


def data_files() -> list[Path]:
    return sorted(path for path in DATA.glob("*.toml") if path.name not in ("sources.toml", "release.toml"))


def copy_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the released folder with one exact edit, as its own root (the loader is cached by root)."""
    shutil.copytree(DATA, tmp_path / default_version())
    target = tmp_path / default_version() / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the edit must match exactly once in {file}"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- loading


def test_the_default_version_loads_and_names_itself(kb: KnowledgeBase) -> None:
    """The released version loads, and its release file names the same version."""
    assert kb.version == default_version()
    assert default_version() in available_versions()
    assert {"baclofen", "tizanidine"} <= set(kb.drugs)


def test_an_unknown_version_is_refused_with_the_available_ones(tmp_path: Path) -> None:
    """Asking for a version that does not exist is a KnowledgeError listing what exists."""
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base("1999.01.0")
    assert caught.value.hint is not None
    assert default_version() in caught.value.hint


def test_an_unmodified_copy_loads(tmp_path: Path) -> None:
    """The control for the defect tests below: an exact copy of the folder loads."""
    shutil.copytree(DATA, tmp_path / default_version())
    assert load_knowledge_base(default_version(), root=tmp_path).version == default_version()


def test_a_number_without_its_unit_is_refused_at_load(tmp_path: Path) -> None:
    """max_daily = "80" (unit removed) fails validation."""
    root = copy_with(tmp_path, "baclofen.toml", 'max_daily = "80 mg"', 'max_daily = "80"')
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(default_version(), root=root)
    assert "baclofen.toml" in caught.value.message


def test_a_strength_without_its_unit_is_refused_at_load(tmp_path: Path) -> None:
    """A product strength "5" (unit removed) fails validation."""
    root = copy_with(tmp_path, "tizanidine.toml", 'strength = "2 mg"', 'strength = "2"')
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), root=root)


def test_a_dose_in_the_wrong_unit_family_is_refused_at_load(tmp_path: Path) -> None:
    """An intrathecal bolus written in mL where mcg belongs fails validation."""
    root = copy_with(tmp_path, "baclofen_intrathecal.toml", 'dose = "50 mcg"', 'dose = "50 mL"')
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), root=root)


def test_an_unknown_source_id_is_refused_at_load(tmp_path: Path) -> None:
    """A rule citing a source id missing from sources.toml fails at load, naming the id."""
    root = copy_with(
        tmp_path,
        "interactions.toml",
        'sources = ["pms_baclofen_mims", "fda_dsc_2016_opioid_cns"]',
        'sources = ["pms_baclofen_mims", "a_source_nobody_wrote"]',
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(default_version(), root=root)
    assert "a_source_nobody_wrote" in caught.value.message


def test_a_rule_with_no_source_is_refused_at_load(tmp_path: Path) -> None:
    """An empty sources list fails validation: every rule needs a source."""
    root = copy_with(
        tmp_path,
        "interactions.toml",
        'sources = ["pms_baclofen_mims", "fda_dsc_2016_opioid_cns"]',
        "sources = []",
    )
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), root=root)


def test_an_extra_field_is_refused_at_load(tmp_path: Path) -> None:
    """A field the schema does not know (a typo such as max_dialy) fails validation."""
    root = copy_with(
        tmp_path, "baclofen.toml", 'max_daily = "80 mg"', 'max_daily = "80 mg"\nmax_dialy = "100 mg"'
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(default_version(), root=root)
    assert "max_dialy" in caught.value.message


def test_an_unknown_confidence_grade_is_refused_at_load(tmp_path: Path) -> None:
    """Confidence grades come from the clinical reference's scale; "very high" is refused."""
    monitoring = (
        'single 8 mg dose."\nsources = ["livertox_tizanidine", "tizanidine_label"]\nconfidence = "H"\n'
    )
    root = copy_with(tmp_path, "tizanidine.toml", monitoring, monitoring.replace('"H"', '"very high"'))
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), root=root)


def test_a_broken_pk_file_fails_at_load_naming_the_file_and_field(tmp_path: Path) -> None:
    """pk.toml is validated with the rest: a clearance without its unit fails the load itself (not the first
    simulation), and the message names the file and the field's path."""
    root = copy_with(tmp_path, "pk.toml", 'value = "11.6 L/h"', 'value = "11.6"')
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(default_version(), root=root)
    assert "pk.toml" in caught.value.message
    assert "drugs.baclofen.sets.simon2018.cl_f.value" in caught.value.message


def test_a_pk_value_that_disagrees_with_its_derivation_fails_at_load(tmp_path: Path) -> None:
    """Editing fe without the expected renal share is caught when the knowledge base loads."""
    root = copy_with(tmp_path, "pk.toml", 'fe_oral = "69 %"', 'fe_oral = "70 %"')
    with pytest.raises(KnowledgeError, match=r"pk\.toml baclofen simon2018 renal: derived"):
        load_knowledge_base(default_version(), root=root)


def test_a_pk_section_for_a_drug_the_release_does_not_plan_fails_at_load(tmp_path: Path) -> None:
    """pk.toml is keyed by drug id; a key that names no drug file of the release is refused."""
    shutil.copytree(DATA, tmp_path / default_version())
    pk = tmp_path / default_version() / "pk.toml"
    pk.write_text(
        pk.read_text(encoding="utf-8").replace("drugs.baclofen", "drugs.baclophen"), encoding="utf-8"
    )
    root = tmp_path
    with pytest.raises(KnowledgeError, match="drugs.baclophen is not a drug of this release"):
        load_knowledge_base(default_version(), root=root)


def test_a_malformed_atc_code_is_refused_at_load(tmp_path: Path) -> None:
    """An ATC code that does not match letter-2 digits-2 letters-2 digits fails validation."""
    root = copy_with(tmp_path, "dictionary.toml", 'atc = "M03BX01"', 'atc = "M03-BX01"')
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), root=root)


def test_a_name_shared_by_two_ingredients_is_refused_at_load(tmp_path: Path) -> None:
    """If a brand were listed under two ingredients, the load fails rather than screen ambiguously."""
    root = copy_with(tmp_path, "dictionary.toml", 'brands = ["Ativan"]', 'brands = ["Ativan", "Valium"]')
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(default_version(), root=root)
    assert "valium" in caught.value.message.lower()


# ---------------------------------------------------------------- sources and grades


def test_every_sourced_table_in_every_file_cites_known_sources_with_a_grade() -> None:
    """In every data file, each graded table (rules, conflicts) cites at least one id from sources.toml."""
    known = set(tomllib.loads((DATA / "sources.toml").read_text(encoding="utf-8"))["sources"])
    checked = 0
    for file in data_files():
        for path, table in walk(tomllib.loads(file.read_text(encoding="utf-8"))):
            if not isinstance(table, dict) or ("sources" not in table and "confidence" not in table):
                continue
            where = f"{file.name}:{'.'.join(path)}"
            cited = table.get("sources") or (
                [table["source"]] if "source" in table else []
            )  # a conflict cites one
            assert cited, f"{where} has no sources"
            assert set(cited) <= known, f"{where} cites unknown sources"
            assert table.get("confidence") in GRADES, f"{where} has no valid confidence grade"
            checked += 1
    assert checked > 150


def test_every_product_ingredient_interaction_and_triage_rule_is_sourced(kb: KnowledgeBase) -> None:
    """Products, ingredients, interaction rules and triage rules each carry at least one resolved source."""
    provenances: list[tuple[str, Provenance]] = []
    for rules in kb.drugs.values():
        provenances += [(f"product {p.id}", p.provenance) for p in rules.products]
    provenances += [(f"ingredient {i.id}", i.provenance) for i in kb.ingredients]
    provenances += [(f"interaction {r.id}", r.provenance) for r in kb.interactions]
    provenances += [(f"triage {r.id}", r.provenance) for r in kb.triage_rules]
    for name, provenance in provenances:
        assert provenance.sources, f"{name} has no source"
        assert all(source.id in kb.sources for source in provenance.sources), name
        assert provenance.confidence in GRADES, name


def test_every_dosing_rule_of_every_drug_is_sourced(kb: KnowledgeBase) -> None:
    """Titration, limits, kidney bands, dialysis, eGFR, older-adult, Beers and taper rules all cite sources."""
    for rules in kb.drugs.values():
        assert rules.titration
        assert rules.limits
        assert rules.taper
        sourced = [
            rules.provenance,
            rules.titration.provenance,
            rules.limits.provenance,
            rules.taper.provenance,
        ]
        if rules.renal:
            sourced += [rules.renal.provenance, *(band.provenance for band in rules.renal.bands)]
            sourced += [rule.provenance for rule in rules.renal.egfr_rules]
            if rules.renal.dialysis:
                sourced.append(rules.renal.dialysis.provenance)
        if rules.elderly:
            sourced.append(rules.elderly.provenance)
            if rules.elderly.beers_provenance:
                sourced.append(rules.elderly.beers_provenance)
        if rules.missed_dose:
            sourced.append(rules.missed_dose.provenance)
        for provenance in sourced:
            assert provenance.sources, rules.id
            assert provenance.confidence in GRADES, rules.id


def test_every_source_has_a_citation() -> None:
    """Each source in sources.toml has a citation a reader can follow."""
    sources = tomllib.loads((DATA / "sources.toml").read_text(encoding="utf-8"))["sources"]
    for source_id, entry in sources.items():
        assert len(entry["citation"]) >= 5, source_id


def test_the_missed_dose_rule_is_marked_as_not_label_text(kb: KnowledgeBase) -> None:
    """No US label gives a missed-dose rule (clinical-reference 7): the rule says it is a configurable policy."""
    rule = kb.drug("baclofen").missed_dose
    assert rule is not None
    assert rule.is_label_text is False
    assert rule.provenance.confidence == "policy"
    assert rule.take_if_elapsed_fraction_below == Fraction(1, 2)


# ---------------------------------------------------------------- codes


def test_every_rxcui_is_digits_and_every_atc_is_well_formed(kb: KnowledgeBase) -> None:
    """RxCUIs are digit strings; ATC codes are letter, 2 digits, 2 letters, 2 digits."""
    for item in kb.ingredients:
        if item.rxcui is not None:
            assert item.rxcui.isdigit(), item.id
        if item.atc is not None:
            assert ATC.match(item.atc), item.id
    for rules in kb.drugs.values():
        for product in rules.products:
            assert product.rxcui is None or product.rxcui.isdigit(), product.id


def test_a_code_is_marked_not_found_only_when_it_is_absent(kb: KnowledgeBase) -> None:
    """ "not_found" means no code is given; a code given is verified or unverified."""
    for item in kb.ingredients:
        assert (item.rxcui is None) == (item.rxcui_status == "not_found"), item.id
        assert (item.atc is None) == (item.atc_status == "not_found"), item.id


@pytest.mark.parametrize(("ingredient_id", "rxcui", "atc"), VERIFIED_BOTH)
def test_verified_codes_match_the_clinical_reference(
    kb: KnowledgeBase, ingredient_id: str, rxcui: str, atc: str
) -> None:
    """The RxCUI and ATC code marked verified match section 5.2 (e.g. baclofen 1292 / M03BX01, gabapentin N02BF01)."""
    item = ingredient(kb, ingredient_id)
    assert (item.rxcui, item.rxcui_status) == (rxcui, "verified")
    assert (item.atc, item.atc_status) == (atc, "verified")


@pytest.mark.parametrize(("ingredient_id", "rxcui"), VERIFIED_RXCUI_ONLY)
def test_rxcui_only_rows_match_and_their_atc_is_not_claimed_verified(
    kb: KnowledgeBase, ingredient_id: str, rxcui: str
) -> None:
    """Where only the RxCUI was verified (e.g. oxycodone 7804), the ATC is unverified or absent."""
    item = ingredient(kb, ingredient_id)
    assert (item.rxcui, item.rxcui_status) == (rxcui, "verified")
    assert item.atc_status != "verified"


@pytest.mark.parametrize("ingredient_id", UNVERIFIED)
def test_unverified_codes_are_marked_unverified(kb: KnowledgeBase, ingredient_id: str) -> None:
    """Codes section 5.2 calls unverified (tizanidine 57258, alprazolam 596...) are never marked verified."""
    item = ingredient(kb, ingredient_id)
    assert item.rxcui_status != "verified"
    assert item.atc_status != "verified"


def test_the_tizanidine_product_codes_match_the_reference(kb: KnowledgeBase) -> None:
    """Tizanidine 2 mg and 4 mg tablets are RxCUI 313412 and 313413 (openFDA NDC)."""
    codes = {p.strength: p.rxcui for p in kb.drug("tizanidine").products}
    assert codes == {mg(2): "313412", mg(4): "313413"}


def test_every_ingredient_of_the_reference_code_table_is_in_the_dictionary(kb: KnowledgeBase) -> None:
    """All ingredients in clinical-reference 5.2 can be screened."""
    ids = {item.id for item in kb.ingredients}
    expected = {row[0] for row in VERIFIED_BOTH} | {row[0] for row in VERIFIED_RXCUI_ONLY} | set(UNVERIFIED)
    assert expected <= ids


def test_alcohol_is_in_the_dictionary_as_a_substance(kb: KnowledgeBase) -> None:
    """Alcohol is screened as a substance, in the alcohol class."""
    alcohol = ingredient(kb, "ethanol")
    assert alcohol.substance
    assert "alcohol" in alcohol.classes


def test_no_two_ingredients_share_a_name_brand_misspelling_or_code(kb: KnowledgeBase) -> None:
    """Every name, brand, listed misspelling and RxCUI points to exactly one ingredient."""
    owner: dict[str, str] = {}
    for item in kb.ingredients:
        terms = {t.strip().lower() for t in (item.id, item.name, *item.brands, *item.misspellings)}
        if item.rxcui:
            terms.add(f"rxcui:{item.rxcui}")
        for term in terms:
            assert owner.setdefault(term, item.id) == item.id, f"'{term}' names {owner[term]} and {item.id}"


def test_every_interaction_rule_names_classes_or_ingredients_that_exist(kb: KnowledgeBase) -> None:
    """Each side of each rule is a known ingredient id or a class some ingredient belongs to."""
    classes = {cls for item in kb.ingredients for cls in item.classes}
    ids = {item.id for item in kb.ingredients}
    for rule in kb.interactions:
        for side in (rule.a, rule.b):
            assert side.removeprefix("class:") in (classes if side.startswith("class:") else ids), rule.id


# ---------------------------------------------------------------- units


def test_every_bare_number_in_the_data_states_its_unit_in_its_name_or_is_a_ratio_or_code() -> None:
    """A number without a unit is allowed only for counts named in days/hours/years, ratios and codes."""
    for file in data_files():
        for path, value in walk(tomllib.loads(file.read_text(encoding="utf-8"))):
            if isinstance(value, bool) or not path:
                continue
            bare = isinstance(value, int | float) or (
                isinstance(value, str) and re.fullmatch(r"\s*[\d./]+\s*", value) is not None
            )
            if not bare:
                continue
            key = next(part for part in reversed(path) if not part.isdigit())
            allowed = key.endswith(UNIT_IN_NAME) or key.endswith(RATIOS) or key in CODES
            assert allowed, f"{file.name}:{'.'.join(path)} = {value!r} has no unit"


def test_oral_baclofen_doses_are_in_mg_and_intrathecal_in_mcg(kb: KnowledgeBase) -> None:
    """Oral baclofen is planned in mg; the intrathecal pump rules are in mcg a day."""
    assert kb.drug("baclofen").dose_unit == "mg"
    assert kb.pump is not None
    assert kb.pump.max_daily.unit is Unit.MCG


# ---------------------------------------------------------------- the numbers match the reference


def test_the_label_titration_and_limits_match_the_reference(kb: KnowledgeBase) -> None:
    """5/10/15/20 mg three times a day for 3 days each; max 80 mg a day, 20 mg a dose, 4 a day; from age 12."""
    rules = kb.drug("baclofen")
    assert rules.titration is not None
    assert rules.limits is not None
    assert rules.titration.steps == ((mg(5), 3), (mg(10), 3), (mg(15), 3), (mg(20), 3))
    assert rules.titration.times_per_day == 3
    assert rules.limits.max_daily == mg(80)
    assert rules.limits.max_single_dose == mg(20)
    assert rules.limits.max_times_per_day == 4
    assert rules.limits.min_age_years == 12


def test_the_kidney_bands_match_vlavonou_and_wolf(kb: KnowledgeBase) -> None:
    """>80 none; 50-80 x2/3; 30-50 x1/2; <30 avoid (x1/3 under override); dialysis avoid, 5 mg a day ceiling."""
    renal = kb.drug("baclofen").renal
    assert renal is not None
    bands = {band.id: (band.crcl_from, band.crcl_to, band.multiplier, band.action) for band in renal.bands}
    assert bands["mild"] == (50, 80, Fraction(2, 3), "reduce")
    assert bands["moderate"] == (30, 50, Fraction(1, 2), "reduce")
    assert bands["severe"] == (0, 30, Fraction(1, 3), "avoid")
    assert bands["normal"][2:] == (1, "none")
    assert renal.dialysis is not None
    assert renal.dialysis.action == "avoid"
    assert renal.dialysis.override_max_daily == mg(5)


def test_the_older_adult_and_taper_rules_match_the_reference(kb: KnowledgeBase) -> None:
    """Beers applies from 65 with eGFR below 60; tapers last at least 14 days (PDR)."""
    rules = kb.drug("baclofen")
    assert rules.elderly is not None
    assert rules.elderly.age_from_years == 65
    assert rules.elderly.beers_egfr_below == 60
    assert rules.taper is not None
    assert rules.taper.min_days == 14
    assert rules.taper.max_single_reduction == Fraction(1, 2)


def test_the_products_and_their_scoring_match_the_labels(kb: KnowledgeBase) -> None:
    """5 mg tablets are unscored; 10 and 20 mg scoring varies by maker; liquids are 1, 2 and 5 mg per mL."""
    rules = kb.drug("baclofen")
    tablets = {p.strength: p.scored for p in rules.products if p.form == "tablet"}
    assert tablets == {mg(5): Scored.NO, mg(10): Scored.VARIES, mg(15): Scored.VARIES, mg(20): Scored.VARIES}
    liquids = {p.concentration for p in rules.products if p.is_liquid}
    assert liquids == {parse_concentration(c) for c in ("5 mg/5 mL", "10 mg/5 mL", "25 mg/5 mL")}
    granules = {p.strength for p in rules.products if p.form == "granules"}
    assert granules == {mg(5), mg(10), mg(20)}
