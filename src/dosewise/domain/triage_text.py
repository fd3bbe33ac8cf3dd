"""Reading one symptom text: phrases and word patterns from the lexicon, numbers, negation and intensity.

The order matters and is the mechanism:
1. tokens are spelled right where a slip is one or two edits from a known word (``triage_words.Speller``);
2. numbers are read first (temperatures, tablets or milligrams swallowed: ``triage_numbers``);
3. "can't stop" and the like are affirmations, never negations;
4. the patterns of "specific" symptoms ("worst headache", "jerking all over", "too weak to stand"), then
   lexicon phrases (longest first), then lexicon patterns (groups of words in one clause, any order, a
   few words apart, in one sentence) claim their words. A pattern may hold the negation that states the problem ("cant
   breathe", "wont wake", "not breathing"), and a claimed word can no longer deny anything;
5. context cues ("ran out of my tablets") and intensity words ("severe", "worst ever") are read;
6. a negation cue left over denies the symptoms after it in its clause ("no fever"), or a symptom whose
   pattern it sits inside ("lips not blue"), except a red flag: a denied red flag is kept and said so,
   because negation never lowers a red flag. The one exception is a clear denial of a red flag whose
   knowledge-base entry allows it (``denial_rules_out``): the cue is "no", "not", "never", "without" or
   "denies", at most three words before the symptom with only filler between and no hedge ("not sure
   if"), and the word after the cue is not a vital function ("no breathing", "no response" stay
   emergencies). "Not breathing", "can't breathe", "won't wake up" never reach this step: their patterns
   claim the negation;
7. a word beside "fine", "normal" or "ok" ("breathing fine") was said to be normal;
8. what is left and is not filler is reported as not recognised (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dosewise.domain.rules import ContextCue, SymptomDefinition, TemperatureRule
from dosewise.domain.triage_numbers import NUMBER_VOCABULARY, Ingestion, read_numbers
from dosewise.domain.triage_words import (
    BOUNDARY,
    CLEAR_DENIALS,
    FILLER,
    HEDGES,
    NEGATION_CUES,
    NEGATION_STOPS,
    NORMAL_WORDS,
    NUMBER_WORDS,
    SENTENCE_END,
    VITAL_WORDS,
    Speller,
    stem,
    tokenise,
)

__all__ = ["Lexicon", "TextReading", "compile_lexicon", "read_text"]

WINDOW = 7  # a pattern's words lie within this many tokens of each other
EXCLUDE_REACH = 2  # an excluded word ("!hair") this close to a pattern's words undoes it
NEGATION_REACH = 5  # a cue denies a symptom starting at most this many tokens after it
_AFFIRM = (("cant", "stop"), ("wont", "stop"), ("not", "stop"), ("wont", "go", "away"), ("not", "go", "away"))


@dataclass(frozen=True)
class _Term:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    sequences: tuple[tuple[str, ...], ...] = ()  # options of several words ("went up")
    exclude: bool = False  # "!hair|pill*": the pattern does not hold with one of these words beside it

    def matches(self, token: str) -> bool:
        return token in self.exact or stem(token) in self.exact or token.startswith(self.prefixes)

    def length_at(self, tokens: list[str], i: int, free: list[bool]) -> int:
        """How many tokens this group matches from position i (0: none)."""
        for sequence in self.sequences:
            end = i + len(sequence)
            words = tuple(tokens[i:end])
            # Stems meet too: "never waking" is "never wake", "no responses" is "no response".
            same = words == sequence or tuple(map(stem, words)) == tuple(map(stem, sequence))
            if same and all(free[i:end]):
                return len(sequence)
        return 1 if self.matches(tokens[i]) else 0


def _term(group: str) -> _Term:
    exclude = group.startswith("!")
    options = [o.strip() for o in group.lstrip("!").split("|") if o.strip()]
    single = [o for o in options if " " not in o]
    exact = frozenset(stem(o) for o in single if not o.endswith("*")) | frozenset(
        o for o in single if not o.endswith("*")
    )
    sequences = tuple(tuple(o.split()) for o in options if " " in o)
    return _Term(exact, tuple(o[:-1] for o in single if o.endswith("*")), sequences, exclude)


@dataclass(frozen=True)
class Lexicon:
    phrases: tuple[tuple[tuple[str, ...], str], ...]
    specific: tuple[tuple[tuple[_Term, ...], str], ...]
    patterns: tuple[tuple[tuple[_Term, ...], str], ...]
    cues: tuple[tuple[tuple[_Term, ...], str, str], ...]
    red_flags: frozenset[str]
    deniable: frozenset[str]
    intensity: tuple[tuple[str, ...], ...]
    speller: Speller


@dataclass(frozen=True)
class TextReading:
    text: str
    symptoms: tuple[str, ...]
    unrecognised: str = ""
    negated: tuple[str, ...] = ()
    kept_red_flags: tuple[str, ...] = ()
    cues: tuple[tuple[str, str], ...] = ()
    intense: bool = False
    temperatures_c: tuple[str, ...] = ()
    ingestion: Ingestion | None = None
    corrections: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _phrase_tokens(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokenise(text) if t not in BOUNDARY)


def compile_lexicon(
    symptoms: Sequence[SymptomDefinition], cues: Sequence[ContextCue], intensity: Sequence[str]
) -> Lexicon:
    table: dict[tuple[str, ...], str] = {}
    for symptom in symptoms:
        for term in (*symptom.words, symptom.label, symptom.id.replace("_", " ")):
            key = _phrase_tokens(term)
            if key:
                table.setdefault(key, symptom.id)
    phrases = tuple(sorted(table.items(), key=lambda item: (-len(item[0]), item[0])))
    every = tuple(
        ((tuple(_term(g) for g in pattern), symptom.id), symptom.specific)
        for symptom in symptoms
        for pattern in symptom.patterns
    )
    specific = tuple(p for p, first in every if first)
    patterns = tuple(p for p, first in every if not first)
    cue_patterns = tuple(
        (tuple(_term(g) for g in pattern), cue.flag, cue.why) for cue in cues for pattern in cue.patterns
    )
    words: set[str] = set(FILLER) | set(NEGATION_CUES) | set(NUMBER_WORDS) | set(NEGATION_STOPS)
    words |= NUMBER_VOCABULARY
    for symptom in symptoms:
        for term in (*symptom.words, symptom.label):
            words.update(t for t in tokenise(term) if t.isalpha())
    prefixes: set[str] = set()
    all_groups = [groups for (groups, _), _ in every] + [groups for groups, _, _ in cue_patterns]
    for groups in all_groups:
        for t in groups:
            words.update(t.exact)
            prefixes.update(t.prefixes)
            words.update(w for sequence in t.sequences for w in sequence)
    intense = tuple(tuple(tokenise(w)) for w in intensity)
    for phrase in intense:
        words.update(phrase)
    red = frozenset(s.id for s in symptoms if s.red_flag)
    deniable = frozenset(s.id for s in symptoms if s.red_flag and s.denial_rules_out)
    speller = Speller(words, prefixes)
    return Lexicon(phrases, specific, patterns, cue_patterns, red, deniable, intense, speller)


def _clauses(tokens: list[str]) -> list[int]:
    """The clause number of each token (punctuation and 'but' start a new clause): a negation's reach."""
    out, clause = [], 0
    for token in tokens:
        if token in BOUNDARY or token in NEGATION_STOPS:
            clause += 1
        out.append(clause)
    return out


def _sentences(tokens: list[str]) -> list[int]:
    """The sentence number of each token: a pattern's words may cross a comma or 'but' ("his breathing, it's
    slow"), never the end of a sentence."""
    out, sentence = [], 0
    for token in tokens:
        if token in SENTENCE_END:
            sentence += 1
        out.append(sentence)
    return out


def _find(
    groups: tuple[_Term, ...], tokens: list[str], free: list[bool], clause: list[int]
) -> list[int] | None:
    """The tightest set of free positions, one per group, in one clause and within WINDOW tokens, with no
    excluded word ("!hair") within EXCLUDE_REACH of it ("grey hair" is not a grey face)."""
    excluded = [g for g in groups if g.exclude]
    groups = tuple(g for g in groups if not g.exclude)
    best: list[int] | None = None
    for start in range(len(tokens)):
        size = groups[0].length_at(tokens, start, free) if free[start] else 0
        if not size:
            continue
        chosen = list(range(start, start + size))
        if excluded and _beside(excluded, tokens, chosen, clause):
            continue
        for group in groups[1:]:
            options = [
                (i, n)
                for i in range(max(0, start - WINDOW), min(len(tokens), start + WINDOW + 1))
                if free[i]
                and i not in chosen
                and clause[i] == clause[start]
                and (n := group.length_at(tokens, i, free))
                and not set(range(i, i + n)) & set(chosen)
            ]
            if not options:
                break
            i, n = min(options, key=lambda option: abs(option[0] - start))
            chosen += range(i, i + n)
        else:
            if _span(chosen) <= WINDOW and (best is None or _span(chosen) < _span(best)):
                best = chosen
    return best


def _beside(excluded: list[_Term], tokens: list[str], chosen: list[int], clause: list[int]) -> bool:
    low, high = max(0, min(chosen) - EXCLUDE_REACH), min(len(tokens), max(chosen) + EXCLUDE_REACH + 1)
    return any(
        clause[i] == clause[chosen[0]] and any(g.matches(tokens[i]) for g in excluded)
        for i in range(low, high)
        if i not in chosen
    )


def _claim_patterns(
    patterns: tuple[tuple[tuple[_Term, ...], str], ...],
    tokens: list[str],
    free: list[bool],
    sentence: list[int],
    found: list[tuple[str, list[int]]],
) -> None:
    for groups, symptom_id in patterns:
        while (hit := _find(groups, tokens, free, sentence)) is not None:
            for i in hit:
                free[i] = False
            found.append((symptom_id, hit))


def _clear_denial(tokens: list[str], cue: int, start: int, inside: bool, claimed: set[int]) -> bool:
    """'no chest pain', 'never had a seizure', 'no fits or seizures', 'lips not blue': a denial, not a
    doubt or a vital sign. Other symptoms denied in the same list ("no fits or seizures") may stand between."""
    if tokens[cue] not in CLEAR_DENIALS:
        return False
    after = tokens[cue + 1] if cue + 1 < len(tokens) else ""
    if after.startswith(VITAL_WORDS):
        return False  # "no breathing", "no response", "no feeling in my legs" are the emergency
    if inside:
        return True
    between = [i for i in range(cue + 1, start) if i not in claimed]
    words = [tokens[i] for i in between]
    return len(words) <= 2 and all(t in FILLER and t not in HEDGES for t in words)


def _filler(token: str) -> bool:
    return token in FILLER or (token.endswith("s") and token[:-1] in FILLER)


def _span(positions: list[int]) -> int:
    return max(positions) - min(positions)


def read_text(text: str, lexicon: Lexicon, temperature: TemperatureRule | None) -> TextReading:
    """Read one text: symptoms, denials, red flags kept, cues, intensity, numbers and words left over."""
    raw = tokenise(text)
    tokens = [lexicon.speller.correct(t) for t in raw]
    corrections = tuple((a, b) for a, b in zip(raw, tokens, strict=True) if a != b)
    free = [t not in BOUNDARY for t in tokens]
    clause = _clauses(tokens)
    found: list[tuple[str, list[int]]] = []  # (symptom, the positions it claimed)

    numbers = read_numbers(tokens, free, clause, temperature)
    for symptom, position in numbers.symptoms:
        found.append((symptom, [position]))
    for i in range(len(tokens)):
        for affirm in _AFFIRM:
            if tuple(tokens[i : i + len(affirm)]) == affirm:
                for j in range(i, i + len(affirm)):
                    free[j] = False
    stems = [stem(t) for t in tokens]
    sentence = _sentences(tokens)
    _claim_patterns(lexicon.specific, tokens, free, sentence, found)
    for phrase, symptom_id in lexicon.phrases:
        size = len(phrase)
        for i in range(len(tokens) - size + 1):
            if tuple(stems[i : i + size]) == phrase and all(free[i : i + size]):
                free[i : i + size] = [False] * size
                found.append((symptom_id, list(range(i, i + size))))
    _claim_patterns(lexicon.patterns, tokens, free, sentence, found)
    cues: list[tuple[str, str]] = []
    for groups, flag, why in lexicon.cues:
        while (hit := _find(groups, tokens, free, clause)) is not None:
            for i in hit:
                free[i] = False
            cues.append((flag, f"{why}: '{' '.join(raw[min(hit) : max(hit) + 1])}'"))
    intense = False
    for phrase in lexicon.intensity:
        for i in range(len(tokens) - len(phrase) + 1):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                intense = True
                free[i : i + len(phrase)] = [False] * len(phrase)

    # Negation: a free cue denies what starts within reach after it, in the same clause.
    denied_by: dict[int, int] = {}  # a position and the cue that denies it
    cue_positions = [i for i, token in enumerate(tokens) if token in NEGATION_CUES and free[i]]
    for i in cue_positions:
        free[i] = False
        for j in range(i + 1, min(len(tokens), i + 1 + NEGATION_REACH)):
            if clause[j] != clause[i]:
                break
            denied_by.setdefault(j, i)
    symptoms: list[str] = []
    negated: list[str] = []
    kept: list[str] = []
    claimed = {i for _, positions in found for i in positions}
    for symptom_id, positions in sorted(found, key=lambda item: min(item[1])):
        start = min(positions)
        inside = [c for c in cue_positions if start < c < max(positions) and clause[c] == clause[start]]
        cue = inside[0] if inside else denied_by.get(start)
        if cue is not None:
            if symptom_id in lexicon.red_flags and not (
                symptom_id in lexicon.deniable and _clear_denial(tokens, cue, start, bool(inside), claimed)
            ):
                kept.append(symptom_id)
            else:
                negated.append(symptom_id)
                continue
        if symptom_id not in symptoms:
            symptoms.append(symptom_id)
    if numbers.ingestion is not None and numbers.ingestion.denied:
        kept.append("large_ingestion")
    negated = [s for s in dict.fromkeys(negated) if s not in symptoms]
    # "breathing fine", "speech normal": a word said to be normal is not left over.
    for i, token in enumerate(tokens):
        if token in NORMAL_WORDS:
            for j in (i - 1, i + 1):
                if 0 <= j < len(tokens) and free[j] and clause[j] == clause[i]:
                    free[i] = free[j] = False
    leftover = " ".join(
        raw[i]
        for i, token in enumerate(tokens)
        if free[i] and not _filler(token) and i not in denied_by and not token.isdigit()
    )
    return TextReading(
        text=text,
        symptoms=tuple(symptoms),
        unrecognised=leftover,
        negated=tuple(negated),
        kept_red_flags=tuple(dict.fromkeys(kept)),
        cues=tuple(cues),
        intense=intense,
        temperatures_c=numbers.temperatures_c,
        ingestion=numbers.ingestion,
        corrections=corrections,
    )
