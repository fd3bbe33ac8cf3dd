"""Today's tablet instructions and stock use the pharmacist's scored-tablet confirmation from the plan."""

from __future__ import annotations

from fractions import Fraction

from dosewise.domain.quantity import mg
from dosewise.knowledge import load_knowledge_base
from dosewise.services.today_stock import parts_for, take_cached

KB = load_knowledge_base()
BACLOFEN = KB.drug("baclofen")
TEN_ONLY = ("baclofen-tab-10mg",)


def test_a_half_tablet_is_offered_only_when_the_plan_confirms_the_score() -> None:
    """5 mg from 10 mg tablets is half a tablet with the confirmation, and cannot be made without it."""
    assert take_cached(mg(5), BACLOFEN, TEN_ONLY) is None
    take = take_cached(mg(5), BACLOFEN, TEN_ONLY, TEN_ONLY)
    assert take is not None
    assert take.describe() == "half a tablet of 10 mg"


def test_stock_use_counts_the_half_tablet() -> None:
    """The run-out forecast counts half a 10 mg tablet per 5 mg dose when halves are confirmed."""
    assert parts_for(mg(5), BACLOFEN, TEN_ONLY, TEN_ONLY) == {"baclofen-tab-10mg": Fraction(1, 2)}
    assert parts_for(mg(5), BACLOFEN, TEN_ONLY) == {}
