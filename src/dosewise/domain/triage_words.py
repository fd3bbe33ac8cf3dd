"""The grammar of symptom text: tokens, light stemming, spelling slips, negation cues and filler words.

This is language, not clinical knowledge (the symptoms, patterns and red flags live in the knowledge base's
triage.toml). Everything here is stdlib and cheap enough for a CLI command that runs once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "BOUNDARY",
    "CHILD_WORDS",
    "CLEAR_DENIALS",
    "FILLER",
    "HEDGES",
    "INTENT_WORDS",
    "NEGATION_CUES",
    "NEGATION_STOPS",
    "NORMAL_WORDS",
    "NUMBER_WORDS",
    "OTHERS_CHILD_WORDS",
    "SENTENCE_END",
    "VITAL_WORDS",
    "Speller",
    "stem",
    "tokenise",
]

# Words that end the reach of a negation ("no fever but confused": confusion is not denied).
NEGATION_STOPS = frozenset("but however although though except besides yet whereas".split())
BOUNDARY = frozenset(".,;:!?")
SENTENCE_END = frozenset(".;!?")
# Cues that deny what follows. "cant"/"wont" are not among them: they state a problem ("cant breathe",
# "cant pee"), so what follows them is a finding, or is reported as not recognised, never denied.
NEGATION_CUES = frozenset("no not never without denies deny denied nor neither none free".split())
# The cues that can make a sentence a clear denial of a red flag ("no chest pain", "never had a seizure",
# "lips not blue"); "free" and "none" are too loose ("pain free since", "none of them") and never do.
CLEAR_DENIALS = frozenset("no not never without denies deny denied nor neither".split())
# Words between a cue and a symptom that make it a doubt, not a denial ("not sure if it's chest pain").
HEDGES = frozenset("sure know certain if whether think maybe perhaps might may could unsure tell".split())
# A vital function right after the cue makes the denial the emergency itself: "no breathing", "no
# response", "no pulse", "no movement", "no feeling in my legs" are never ruled out.
VITAL_WORDS = (
    "breath",
    "respon",
    "wak",
    "mov",
    "feel",
    "pulse",
    "heartbeat",
    "conscious",
    "sensation",
    "answer",
)
# Words that state something is normal: "breathing fine" says nothing wrong about the breathing.
NORMAL_WORDS = frozenset("fine ok okay normal normally alright good ordinary usual regular".split())
# Wanting or planning (not having done): "thinking of taking all my pills" is intent, not an ingestion.
INTENT_WORDS = frozenset(
    "think thinking thought thoughts want wants wanted wanting wanna plan planning planned plans tempted"
    " tempt urge urges considering consider contemplating gonna".split()
)
# A young child who swallowed medicine: any amount is an emergency. "son"/"daughter" may be the adult
# patient, so they count only when the medicine is someone else's ("my daughter ate my tablets").
CHILD_WORDS = frozenset(
    "toddler toddlers baby babies infant infants kid kids child children grandson granddaughter"
    " grandchild grandchildren grandkid grandkids nephew niece".split()
)
OTHERS_CHILD_WORDS = frozenset("son daughter stepson stepdaughter".split())

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "dozen": 12,
}  # fmt: skip

# Words that carry no symptom of their own: grammar, pronouns, people, time, small talk, body parts
# (a body part alone says nothing; "my elbow hurts" still leaves "hurts" unrecognised).
FILLER = frozenset(
    """a an the and or but with of in at to on for from after before since by as about into over than then
    my his her their its me i im ive id he she they we you it is are was were be been being am feel feels
    feeling felt have has had having get gets got getting keep keeps keeping kept very really so quite bit
    little lot lots slightly mild mildly slight all day days night nights today tonight yesterday morning
    mornings evening evenings afternoon now lately recently always sometimes often time times week weeks
    hour hours minute minutes month months year years since started start starting starts new more much
    also too him them us our your hes shes theyre seems seem seemed looks look looked looking think thought
    hi hello hey dear doctor nurse sorry bother bothering please thanks thank you just wanted want say
    saying said tell telling told ask asking wondering wonder worried worry concerned notice noticed
    husband wife partner son daughter mum mom mother dad father brother sister baby child kid kids boy girl
    man woman friend carer patient grandma grandad granny grandpa family this that these those there here
    what when where which who how why if because cos since while whilst during until till again still
    some any every each other another one ones thing things stuff way kind sort like well ok okay fine
    good go going goes gone went come comes coming came make makes made do does did doing done can could
    would should will shall may might must up down out off around back away over under through both either
    first last next few many most less least only even ever almost nearly probably maybe perhaps actually
    basically generally usually normally mostly pretty fairly rather somewhat kinda sorta lately
    ago monday tuesday wednesday thursday friday saturday sunday weekend week am pm
    legs leg arms arm hands hand feet foot body muscles muscle head neck shoulders shoulder side
    face lips lip tongue throat mouth eyes eye chest fingers toes nails
    else nothing anything everything
    stand standing stood sit sitting sat lie lying lay walk walking walked move moving bed sleep shower
    otherwise alright apart need needs needed needing mistake mistakes accident accidentally error skin work home house room tried try trying take taking taken medicine medication meds tablet tablets pill
    pills dose doses baclofen tizanidine it s t d ll re ve m""".split()
)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+|[.,;:!?]")
_CONTRACTIONS = (
    (re.compile(r"\bod'?d\b|\bo\.d\.?\b|\bod\b"), " overdosed "),
    (re.compile(r"\bno longer\b|\bnot any ?more\b"), " not "),
    (re.compile(r"\b(can'?t|cannot|can not|couldn'?t|could not|unable to)\b"), " cant "),
    (re.compile(r"\b(won'?t|wouldn'?t|will not|would not)\b"), " wont "),
    (re.compile(r"\b(is|are|was|were|does|do|did|has|have|had|should|ai)n'?t\b"), " not "),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'s\b"), ""),
)


def tokenise(text: str) -> list[str]:
    """Lower-case words, numbers (with their decimal point) and clause punctuation."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    text = text.replace("°", " ").replace("º", " ").replace("-", " ").replace("/", " , ")
    text = re.sub(r"\.{2,}|…", " , ", text)  # an ellipsis is a pause, not the end of a sentence
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = text.replace("'", "")
    return _TOKEN.findall(text)


def stem(word: str) -> str:
    """A light stem so that inflections meet: 'fainted', 'faints' and 'fainting' all read 'faint'."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    # A silent final e goes too, so that "live" meets "living" and "wake" meets "waking".
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), giving up above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects a spelling slip to a known word: one edit for words of 5-7 letters, two from 8, or the
    same letters in another order ("tounge").

    Candidates come from a one-deletion index (so a lookup costs a few set probes, not a scan of the
    vocabulary). Words of four letters are mended only for one dropped letter with a single candidate, shorter
    ones never (too many real words lie one edit from "fit" or "sick"), and the first letter must agree: slips rarely change it, and real words that
    differ in their first letter ("blurred" and "slurred") must not be read as each other.
    """

    def __init__(self, words: Iterable[str], prefixes: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.prefixes = tuple(sorted(set(prefixes), key=len, reverse=True))
        self._index: dict[str, set[str]] = {}
        for word in self.words:
            if len(word) >= 4:
                for key in {word} | _deletions(word):
                    self._index.setdefault(key, set()).add(word)
                self._index.setdefault("".join(sorted(word)), set()).add(word)

    def __eq__(self, other: object) -> bool:
        # Two spellers with the same vocabulary are the same (the index is derived from it).
        return isinstance(other, Speller) and (self.words, self.prefixes) == (other.words, other.prefixes)

    def __hash__(self) -> int:
        return hash((self.words, self.prefixes))

    def known(self, token: str) -> bool:
        return token in self.words or stem(token) in self.words or token.startswith(self.prefixes)

    def correct(self, token: str) -> str:
        if len(token) < 4 or not token.isalpha() or token in self.words or stem(token) in self.words:
            return token
        if len(token) == 4:
            # Four letters: only a dropped letter is mended ("dizy"), never a changed one ("fell").
            found = sorted(w for w in self._index.get(token, set()) if len(w) == 5 and w[0] == token[0])
            return found[0] if len(found) == 1 else token
        whole = self._whole_word(token)
        if whole is not None:
            return whole  # "breathelss" is "breathless" even though it starts like "breath*"
        if token.startswith(self.prefixes):
            return token
        return self._by_prefix(token) or token

    def _whole_word(self, token: str) -> str | None:
        limit = 1 if len(token) <= 7 else 2
        letters = "".join(sorted(token))
        for candidate in sorted(self._index.get(letters, set())):
            if candidate[0] == token[0] and "".join(sorted(candidate)) == letters:
                return candidate
        candidates: set[str] = set()
        for key in {token} | _deletions(token):
            candidates |= self._index.get(key, set())
        best: tuple[int, str] | None = None
        for candidate in sorted(candidates):
            if candidate[0] != token[0]:
                continue
            d = _distance(token, candidate, limit)
            if d <= limit and (best is None or d < best[0]):
                best = (d, candidate)
        return best[1] if best else None

    def _by_prefix(self, token: str) -> str | None:
        for prefix in self.prefixes:
            if len(prefix) < 5 or prefix[0] != token[0]:
                continue
            for cut in (len(prefix) - 1, len(prefix), len(prefix) + 1):
                if _distance(token[:cut], prefix, 1) <= 1:
                    return prefix + token[cut:]
        return None
