"""Numbers in symptom text: temperatures ("temp 39.2", "38.9C", "102F") and what was swallowed.

A temperature needs a unit (C or F), a word that says it is one ("temp", "temperature", "fever",
"thermometer") or a decimal in the body-temperature range ("39.2"). Fahrenheit is converted exactly. The
thresholds come from the knowledge base (``TemperatureRule``), never from here.

An ingestion needs a past-tense verb of swallowing ("took", "swallowed", "ate", "had") that is not denied
("haven't taken" is a missed dose, not an overdose), then within its clause a count ("8 of them", "twenty
tablets"), an amount ("250mg"), a count with a strength ("10 of my 20mg tablets"), an amount of unknown
size ("the bottle", "a handful", "all of them") or an extra dose ("a double dose", "twice"). "Overdose"
on its own is an ingestion of unknown size. Numbers that are times or durations ("at 8", "2 days ago",
"3 times a day") are not counts. Whether an ingestion is large is decided by ``triage`` with the drug's
large-ingestion red flag and the strength, never here.

A drink of medicine ("drank half the bottle of the liquid", "drank 20ml of the solution") is an ingestion
when a word says it was medicine and no word says it was alcohol; a volume is of unknown size (the
concentration is not known, so no milligrams are computed). Intent is not an ingestion: "thinking of
swallowing them all" or "planning to overdose" leave their words to the self-harm patterns. A child who
swallowed, chewed or "got into" medicine is marked ``child`` (any amount is an emergency, decided by
``triage``); "son" or "daughter" count as a child unless the medicine is their own ("his tablets").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from dosewise.domain.rules import TemperatureRule
from dosewise.domain.triage_words import (
    CHILD_WORDS,
    INTENT_WORDS,
    NEGATION_CUES,
    NUMBER_WORDS,
    OTHERS_CHILD_WORDS,
)

__all__ = ["NUMBER_VOCABULARY", "Ingestion", "NumberReading", "read_numbers"]

_TEMP_WORDS = frozenset("temp temps temperature temperatures fever thermometer reading".split())
_CELSIUS = frozenset("c celsius centigrade".split())
_FAHRENHEIT = frozenset("f fahrenheit".split())
_SWALLOW = frozenset(
    "took taken swallowed swallow ate eaten had downed popped consumed chewed chewing sucked ingested".split()
)
_DRINK = frozenset("drank drunk drink gulped swigged sipped".split())
# A drink is medicine only with one of these words, and never with an alcohol word in its clause.
_LIQUID = frozenset(
    "liquid liquids solution suspension syrup medicine medication meds baclofen tizanidine ozobax fleqsuvy"
    " lyvispah granules bottle".split()
)
_ALCOHOL = frozenset(
    "wine beer beers vodka whisky whiskey gin rum cider lager pint pints spirits alcohol booze prosecco".split()
)
_VOLUME = frozenset(
    "ml mls millilitre millilitres milliliter milliliters spoon spoons spoonful spoonfuls teaspoon"
    " teaspoons tablespoon tablespoons capful mouthful mouthfuls".split()
)
_MEDICINE = frozenset(
    "tablet tablets pill pills tab tabs capsule capsules medicine medicines medication medications meds"
    " baclofen tizanidine liquid solution suspension syrup granules bottle packet box drugs".split()
)
_OWN = frozenset("his her their own".split())
_AS_PRESCRIBED = frozenset("prescribed directed usual normal regular".split())
_UNITS = frozenset(
    "tablet tablets pill pills tab tabs capsule capsules them of my his her the dose doses".split()
)
_MG = {"mg": Fraction(1), "milligram": Fraction(1), "milligrams": Fraction(1), "g": Fraction(1000),
       "gram": Fraction(1000), "grams": Fraction(1000), "mcg": Fraction(1, 1000)}  # fmt: skip
_UNKNOWN_SIZE = frozenset(
    "bottle bottles packet packets pack packs box boxes handful handfuls lot lots load loads many bunch strip"
    " strips sheet blister whole all some few several rest half remainder everything entire".split()
)
_EXTRA = frozenset("double extra twice another again".split())
_NOT_A_COUNT_AFTER = frozenset(
    "am pm day days hour hours hr hrs minute minutes min mins week weeks month months year years oclock night nights time times".split()
)
_NOT_A_COUNT_BEFORE = frozenset("at for since by ago every".split())
_REACH = 7
_DETERMINERS = frozenset("of my his her the a an".split())
# The words this module reads, so that the speller never "corrects" them into something else.
NUMBER_VOCABULARY = frozenset(
    _TEMP_WORDS | _CELSIUS | _FAHRENHEIT | _SWALLOW | _UNITS | set(_MG) | _UNKNOWN_SIZE | _EXTRA
    | _NOT_A_COUNT_AFTER | _NOT_A_COUNT_BEFORE | {"overdose", "overdosed", "degrees"}
    | _DRINK | _LIQUID | _VOLUME | _MEDICINE | CHILD_WORDS | OTHERS_CHILD_WORDS | _AS_PRESCRIBED
)  # fmt: skip


@dataclass(frozen=True)
class Ingestion:
    """What the words say was swallowed (any of these may be unknown)."""

    words: str
    count: int | None = None
    amount_mg: Fraction | None = None
    strength_mg: Fraction | None = None
    unknown_size: bool = False
    extra: bool = False
    denied: bool = False  # "no overdose": a red flag, kept all the same
    child: bool = False  # a child swallowed it: any amount is an emergency


@dataclass(frozen=True)
class NumberReading:
    symptoms: tuple[tuple[str, int], ...] = ()
    temperatures_c: tuple[str, ...] = ()
    ingestion: Ingestion | None = None


def _number(token: str) -> Fraction | None:
    if token in NUMBER_WORDS:
        return Fraction(NUMBER_WORDS[token])
    if token[:1].isdigit():
        return Fraction(token.replace(",", "."))
    return None


def _show(value: Fraction) -> str:
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _temperature(
    tokens: list[str], free: list[bool], clause: list[int], i: int
) -> tuple[Fraction, list[int]] | None:
    value = _number(tokens[i])
    if value is None or not tokens[i][:1].isdigit():
        return None
    used = [i]
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if after == "degrees" and i + 2 < len(tokens):
        used.append(i + 1)
        after = tokens[i + 2]
    scale = "C" if after in _CELSIUS else "F" if after in _FAHRENHEIT else ""
    if scale:
        used.append(i + 1 if tokens[i + 1] != "degrees" else i + 2)
    keyword = [
        j for j in range(max(0, i - 3), i) if tokens[j] in _TEMP_WORDS and free[j] and clause[j] == clause[i]
    ][-1:]  # the nearest, in the same clause ("no fever, temp 37.2": the fever is denied, not a keyword)
    used += keyword
    if not scale:
        if keyword:
            scale = "F" if value >= 86 else "C"
        elif "." in tokens[i] or "," in tokens[i]:
            scale = "C"
        else:
            return None
    celsius = (value - 32) * Fraction(5, 9) if scale == "F" else value
    if not Fraction(25) <= celsius <= Fraction(46):
        return None
    return celsius, used


def _is_count(tokens: list[str], i: int) -> bool:
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    return (
        after not in _NOT_A_COUNT_AFTER
        and before not in _NOT_A_COUNT_BEFORE
        and after not in _MG
        and after not in _VOLUME
    )


def _a_child(tokens: list[str]) -> bool:
    """A young child is named ("my toddler", "the baby", "my 3 year old")."""
    for i, token in enumerate(tokens):
        if token in CHILD_WORDS:
            return True
        aged = tokens[i + 1 : i + 2] == ["old"] or token in ("yo", "yrs", "yr")
        if token in ("year", "years", "yr", "yrs", "yo", "month", "months") and aged:
            age = _number(tokens[i - 1]) if i > 0 else None
            if age is not None and (age < 18 or token.startswith("month")):  # under 18: a child
                return True
    return False


def _intent_before(tokens: list[str], i: int, *, loose: bool = False) -> bool:
    """A word of wanting or planning just before (with ``loose``, also "going to" and "feel like", which
    are intent only before a verb's base form: "I feel like I overdosed" is not)."""
    before = tokens[max(0, i - 3) : i]
    if any(t in INTENT_WORDS for t in before):
        return True
    pairs = set(pairwise(before))
    return loose and bool(pairs & {("going", "to"), ("feel", "like"), ("feeling", "like")})


def _ingestion(
    tokens: list[str], free: list[bool], clause: list[int], verb: int, child: bool
) -> tuple[Ingestion, list[int]] | None:
    drink = tokens[verb] in _DRINK
    if drink:
        in_clause = {tokens[j] for j in range(len(tokens)) if clause[j] == clause[verb]}
        if in_clause & _ALCOHOL or not in_clause & _LIQUID:
            return None  # "drank 4 pints" is alcohol (a context cue), not an ingestion of medicine
    used = [verb]
    medicine = False
    count: int | None = None
    amount: Fraction | None = None
    strength: Fraction | None = None
    unknown = extra = False
    end = verb + 1
    for j in range(verb + 1, min(len(tokens), verb + 1 + _REACH)):
        if clause[j] != clause[verb] or not free[j]:
            break
        token, value = tokens[j], _number(tokens[j])
        after = tokens[j + 1] if j + 1 < len(tokens) else ""
        if value is not None and after in _MG:
            mg = value * _MG[after]
            following = tokens[j + 2] if j + 2 < len(tokens) else ""
            if count is not None or following in ("tablet", "tablets", "pill", "pills", "tab", "tabs"):
                strength = mg
            else:
                amount = mg
            used += [j, j + 1]
        elif value is not None and after in _VOLUME:
            unknown = True  # a volume: the concentration is not known, so the amount is not either
            used += [j, j + 1]
        elif token in _VOLUME:
            unknown = True
            used.append(j)
        elif value is not None and _is_count(tokens, j) and count is None and value.denominator == 1:
            count = int(value)
            used.append(j)
        elif token in _UNKNOWN_SIZE:
            unknown = True
            used.append(j)
        elif token in _EXTRA:
            extra = True
            used.append(j)
        elif token in _UNITS or token in ("a", "an") or token in _MEDICINE:
            medicine = medicine or token in _MEDICINE
            used.append(j)
            if token in ("a", "an") and after in _MEDICINE and count is None:
                count = 1  # "swallowed a tablet"
            if token in _DETERMINERS:
                continue  # "my", "his": part of the phrase, but they do not end what was said
        else:
            continue
        end = j + 1
    said = [tokens[j] for j in range(verb, end)]
    others = any(t in OTHERS_CHILD_WORDS for t in tokens) and not _OWN & set(said)
    child = child or others
    if unknown and not _UNKNOWN_SIZE & set(said) and _AS_PRESCRIBED & set(tokens):
        unknown = False  # "took 10ml as prescribed": a volume of the usual dose, not an unknown amount
    if count is None and amount is None and strength is None and not unknown and not extra:
        if child and medicine:
            return Ingestion(" ".join(said), child=True), used  # "my toddler got into my baclofen"
        return None
    pills = {"tablet", "tablets", "pill", "pills", "tab", "tabs", "capsule", "capsules", "them"}
    if tokens[verb] == "had" and amount is None and not pills & {tokens[j] for j in used}:
        return None  # "had 2 bad nights", "had a few drinks": not tablets swallowed
    if count is not None and strength is not None and amount is None:
        amount = count * strength
    words = " ".join(tokens[verb:end])
    return Ingestion(words, count, amount, strength, unknown, extra, child=child), used


def read_numbers(
    tokens: list[str], free: list[bool], clause: list[int], temperature: TemperatureRule | None
) -> NumberReading:
    """Read temperatures and an ingestion; the words used are marked as taken in ``free``."""
    symptoms: list[tuple[str, int]] = []
    temperatures: list[str] = []
    ingestion: Ingestion | None = None
    child = _a_child(tokens)
    for i, token in enumerate(tokens):
        if not free[i]:
            continue
        if temperature is not None and (reading := _temperature(tokens, free, clause, i)):
            celsius, used = reading
            for j in used:
                free[j] = False
            temperatures.append(f"{_show(celsius)} C")
            if celsius >= temperature.fever_at_or_above_c:
                symptoms.append(("fever", min(used)))
            elif celsius < temperature.low_below_c:
                symptoms.append(("low_temperature", min(used)))
            continue
        got_into = tokens[i - 1 : i + 1] == ["got", "into"]
        # A child who found or got hold of medicine may have swallowed some: never reassured.
        found_it = child and (token in ("found",) or tokens[i - 1 : i + 1] == ["got", "hold"])
        verb = token in _SWALLOW or token in _DRINK or got_into or found_it
        if verb and ingestion is None:
            denied = any(tokens[j] in NEGATION_CUES for j in range(max(0, i - 2), i))
            if denied or (token in ("swallow", "drink") and _intent_before(tokens, i, loose=True)):
                continue  # "haven't taken it", "want to swallow them all": not an ingestion
            if found := _ingestion(tokens, free, clause, i, child):
                ingestion, used = found
                for j in used:
                    free[j] = False
        elif token.startswith("overdos") and ingestion is None and not _intent_before(tokens, i):
            denied = any(tokens[j] in NEGATION_CUES for j in range(max(0, i - 3), i))
            ingestion = Ingestion(token, unknown_size=True, denied=denied, child=child)
            free[i] = False
    return NumberReading(tuple(symptoms), tuple(temperatures), ingestion)
