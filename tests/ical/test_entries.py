"""Calendar entries as pure values: UIDs from (series, slot) only, SEQUENCE from the version that last
changed a dose, cancellations and their time limit, the window bounds, and the patient wording."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Override, Plan, Step, administrations
from dosewise.domain.rules import DrugRules, KnowledgeBase
from dosewise.formats.ical import CancelPolicy, DoseEntry, Revision, Window, dose_entries, slot_uid

START = date(2027, 3, 20)
WINDOW = Window(START, START + timedelta(days=21))
MADE = datetime(2027, 3, 1, 12, tzinfo=UTC)
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney")

steps_strategy = st.lists(
    st.tuples(
        st.integers(1, 8),  # days
        st.sampled_from((5, 10, 15, 20)),  # mg
        st.lists(st.integers(0, 24 * 4 - 1), min_size=1, max_size=4, unique=True),  # quarter hours
    ),
    min_size=1,
    max_size=4,
)


def _plan(raw: list[tuple[int, int, list[int]]], zone: str, then: str) -> Plan:
    steps, day = [], START
    for days, dose, quarters in raw:
        times = tuple(time(q // 4, (q % 4) * 15) for q in sorted(quarters))
        steps.append(Step(day, days, mg(dose), times))
        day += timedelta(days=days)
    return Plan("baclofen", "oral", tuple(steps), "test", timezone=zone, then=then)  # type: ignore[arg-type]


def _client(feeds: list[tuple[DoseEntry, ...]]) -> dict[str, DoseEntry]:
    """A subscribing calendar: an entry replaces the stored one unless its SEQUENCE is lower."""
    store: dict[str, DoseEntry] = {}
    for feed in feeds:
        for entry in feed:
            old = store.get(entry.uid)
            assert old is None or entry.sequence >= old.sequence, "a feed never lowers a SEQUENCE"
            if old is not None and (old.at, old.summary, old.description, old.cancelled) != (
                entry.at,
                entry.summary,
                entry.description,
                entry.cancelled,
            ):
                assert entry.sequence > old.sequence, "a changed event always carries a higher SEQUENCE"
            store[entry.uid] = entry
    return store


@settings(max_examples=60, deadline=None)
@given(
    versions=st.lists(steps_strategy, min_size=1, max_size=5),
    zone=st.sampled_from(ZONES),
    then=st.sampled_from(("continue", "stop")),
)
def test_any_run_of_plan_versions_leaves_a_calendar_with_exactly_the_latest_doses(
    kb: KnowledgeBase, versions: list[list[tuple[int, int, list[int]]]], zone: str, then: str
) -> None:
    """For random successive versions, feeding each version's entries to a calendar in turn never lowers
    a SEQUENCE, raises it whenever an event changes, and ends with exactly the latest plan's doses."""
    rules = kb.drug("baclofen")
    plans = [_plan(raw, zone, then) for raw in versions]
    revisions = [Revision(k, plan, rules, MADE + timedelta(hours=k)) for k, plan in enumerate(plans, 1)]
    feeds = [dose_entries(revisions[:k], WINDOW, series="s", today=START) for k in range(1, len(plans) + 1)]
    store = _client(feeds)
    latest = administrations(plans[-1], ZoneInfo(zone), start=WINDOW.first, end=WINDOW.end)
    want = {slot_uid("s", (a.slot_date, a.slot_index)): a.at for a in latest}
    assert {uid: e.at for uid, e in store.items() if not e.cancelled} == want
    assert all(len({e.uid for e in feed}) == len(feed) for feed in feeds)


def test_a_uid_depends_on_the_series_and_the_slot_only() -> None:
    """Same series and slot: same UID; another day, index or series: another UID."""
    slot = (date(2027, 3, 20), 1)
    assert slot_uid("a", slot) == slot_uid("a", slot)
    others = {
        slot_uid("b", slot),
        slot_uid("a", (date(2027, 3, 21), 1)),
        slot_uid("a", (date(2027, 3, 20), 2)),
    }
    assert slot_uid("a", slot) not in others
    assert len(others) == 3
    assert "record-7f3a" not in slot_uid("record-7f3a", slot)  # the series is hashed, never shown


def _two_versions(rules: DrugRules) -> list[Revision]:
    v1 = Plan(
        "baclofen",
        "oral",
        (Step(START, 20, mg(5), (time(8), time(20))),),
        "t",
        timezone="Europe/London",
        then="stop",
    )
    v2 = replace(v1, steps=(Step(START, 10, mg(5), (time(8), time(20))),), then="stop")
    return [Revision(1, v1, rules, MADE), Revision(2, v2, rules, MADE + timedelta(days=19))]


def test_doses_a_new_version_removes_are_cancelled_with_the_next_sequence(baclofen: DrugRules) -> None:
    """v2 stops after 10 days: the other 10 days' doses come back cancelled at SEQUENCE 1, in plain words."""
    entries = dose_entries(_two_versions(baclofen), WINDOW, series="s", today=START)
    cancelled = [e for e in entries if e.cancelled]
    assert len(cancelled) == 20
    assert {e.sequence for e in cancelled} == {1}
    assert {e.slot[0] for e in cancelled} == {START + timedelta(days=d) for d in range(10, 20)}
    assert all(e.summary == "Cancelled: Baclofen 5 mg" for e in cancelled)
    assert "no longer in your plan (the plan changed on Saturday 20 March)" in cancelled[0].description
    assert {e.sequence for e in entries if not e.cancelled} == {0}


def test_a_feed_keeps_cancelled_doses_only_for_a_while_and_only_those_it_could_have_shown(
    baclofen: DrugRules,
) -> None:
    """keep_days after the change, then gone; and never for a day beyond the feed's horizon then."""
    revisions = _two_versions(baclofen)
    changed = (MADE + timedelta(days=19)).date()  # 20 March

    def cancelled(today: date, policy: CancelPolicy) -> int:
        return sum(
            e.cancelled for e in dose_entries(revisions, WINDOW, series="s", today=today, cancel=policy)
        )

    assert cancelled(changed, CancelPolicy(keep_days=14, horizon_days=56)) == 20
    assert cancelled(changed + timedelta(days=13), CancelPolicy(keep_days=14, horizon_days=56)) == 20
    assert cancelled(changed + timedelta(days=14), CancelPolicy(keep_days=14, horizon_days=56)) == 0
    # With a 15-day horizon, the feed on 20 March reached 3 April: slots 30 March-3 April (5 days) only.
    short = CancelPolicy(keep_days=14, horizon_days=15)
    assert cancelled(changed, short) == 2 * sum(
        1 for d in range(10, 20) if START + timedelta(days=d) < changed + timedelta(days=15)
    )


def test_the_window_is_bounded() -> None:
    """At least one day, at most 400."""
    with pytest.raises(InvalidInput):
        Window(START, START)
    with pytest.raises(InvalidInput):
        Window(START, START + timedelta(days=401))
    assert Window(START, START + timedelta(days=400)).end > START


def test_a_plan_version_time_must_carry_its_zone(baclofen: DrugRules) -> None:
    """A naive time cannot be ordered against the feed's clock: refused."""
    plan = _two_versions(baclofen)[0].plan
    with pytest.raises(InvalidInput):
        Revision(1, plan, baclofen, datetime(2027, 3, 1))


ISO_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}T\d{4}|T\d{2}:\d{2}")


@pytest.mark.parametrize(
    ("products", "confirmed", "dose", "words"),
    [
        ((), (), 10, "Take 1 tablet of 10 mg (10 mg of baclofen)."),
        (("baclofen-tab-5mg",), (), 15, "Take 3 tablets of 5 mg (15 mg of baclofen)."),
        (
            ("baclofen-tab-10mg",),
            ("baclofen-tab-10mg",),
            5,
            "Take half a tablet of 10 mg (5 mg of baclofen).",
        ),
        (
            ("baclofen-oral-solution-5mg-5ml",),
            (),
            10,
            "Take 10 mL of the 5 mg/5 mL oral solution (10 mg of baclofen).",
        ),
    ],
)
def test_the_description_says_what_to_take_in_plain_words(
    baclofen: DrugRules, products: tuple[str, ...], confirmed: tuple[str, ...], dose: int, words: str
) -> None:
    """Tablets, halves of a scored tablet, or mL of a liquid; the missed-dose and do-not-stop sentences;
    no ISO dates or codes anywhere in the text."""
    plan = Plan(
        "baclofen",
        "oral",
        (Step(START, 2, mg(dose), (time(8),)),),
        "t",
        timezone="Europe/London",
        products=products,
        confirmed_scored=confirmed,
    )
    (entry, *_) = dose_entries([Revision(1, plan, baclofen, MADE)], WINDOW, series="s", today=START)
    assert entry.description.splitlines()[0] == words
    assert "Never take a double dose." in entry.description
    assert "Do not stop baclofen suddenly" in entry.description
    assert not ISO_LIKE.search(entry.description + entry.summary)


def test_a_clinician_override_is_said_in_every_event(baclofen: DrugRules) -> None:
    """A plan outside the usual limits by a clinician's recorded decision says so, with the reason."""
    plan = Plan(
        "baclofen",
        "oral",
        (Step(START, 2, mg(10), (time(8),)),),
        "t",
        timezone="Europe/London",
        overrides=(Override("above_label_max", "specialist advice", "Dr Rao"),),
    )
    entries = dose_entries([Revision(1, plan, baclofen, MADE)], WINDOW, series="s", today=START)
    assert all("outside the usual limits: specialist advice" in e.description for e in entries)
