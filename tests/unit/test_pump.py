"""Intrathecal pump refill planner: exact arithmetic, refusals, warnings and monotonic days."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pump import RefillPlan, plan_refill, residual_volume
from dosewise.domain.quantity import Concentration, Quantity, mcg, mg, ml, parse_concentration
from dosewise.knowledge import default_version, load_knowledge_base

KB = load_knowledge_base(default_version())
RULES = KB.pump
assert RULES is not None
TODAY = date(2026, 11, 1)


def refill(
    *,
    reservoir: Quantity | None = None,
    concentration: str = "2000 mcg/mL",
    daily: Quantity | None = None,
    alarm: Quantity | None = None,
    fill: Quantity | None = None,
    origin: str | None = None,
) -> RefillPlan:
    assert RULES is not None
    return plan_refill(
        reservoir=reservoir or ml(40),
        concentration=parse_concentration(concentration),
        daily_dose=daily or mcg(500),
        today=TODAY,
        rules=RULES,
        kb_version=KB.version,
        alarm=alarm,
        fill=fill,
        origin=origin,
    )


def codes(plan: RefillPlan) -> set[str]:
    return {w.code for w in plan.warnings}


# ------------------------------------------------------------------ the arithmetic


def test_the_reference_example_gives_152_days_to_the_alarm() -> None:
    """40 mL of 2000 mcg/mL at 500 mcg a day: 0.25 mL a day, 152 days to a 2 mL alarm, 160 to empty."""
    plan = refill()
    assert plan.daily_volume == ml("0.25")
    assert plan.days_to_alarm == 152
    assert plan.days_to_empty == 160
    assert plan.alarm_date == TODAY + timedelta(days=152)


def test_the_refill_date_keeps_the_safety_buffer_before_the_alarm() -> None:
    """The refill date is the alarm day minus the knowledge base's 7-day buffer."""
    plan = refill()
    assert plan.buffer_days == 7
    assert plan.refill_date == TODAY + timedelta(days=152 - 7)


def test_the_arithmetic_is_exact() -> None:
    """333 mcg a day of 2000 mcg/mL gives exactly 76000/333 days to the alarm, not a float."""
    plan = refill(daily=mcg(333))
    assert plan.days_to_alarm == Fraction(76000, 333)
    assert isinstance(plan.daily_volume.amount, Fraction)
    assert plan.whole_days_to_alarm == 228


def test_a_partial_fill_is_planned_from_its_own_volume() -> None:
    """A 20 mL fill in a 40 mL reservoir gives (20 - 2) / 0.25 = 72 days."""
    assert refill(fill=ml(20)).days_to_alarm == 72


def test_the_days_with_the_safer_4_ml_alarm_are_reported() -> None:
    """The 4 mL alarm from the 2004 study gives (40 - 4) / 0.25 = 144 days."""
    plan = refill()
    assert plan.safer_alarm == ml(4)
    assert plan.days_to_safer_alarm == 144


def test_the_plan_names_its_sources_and_version() -> None:
    """The refill plan cites the pump rules and the 8.4 arithmetic and names the kb version."""
    plan = refill()
    assert "itb_refill_math" in plan.source_ids
    assert plan.kb_version == KB.version


# ------------------------------------------------------------------ refusals


def test_a_dose_in_mg_is_refused() -> None:
    """Intrathecal doses are mcg a day; 0.5 mg is refused, never converted silently."""
    with pytest.raises(InvalidInput, match="mcg"):
        refill(daily=mg("0.5"))


def test_a_concentration_in_mg_per_ml_is_refused() -> None:
    """A concentration written in mg/mL is refused."""
    with pytest.raises(InvalidInput, match="mcg/mL"):
        refill(concentration="2 mg/mL")


def test_a_zero_dose_is_refused() -> None:
    """A daily dose of zero has no refill interval and is refused."""
    with pytest.raises(InvalidInput, match="more than zero"):
        refill(daily=mcg(0))


def test_a_fill_larger_than_the_reservoir_is_refused() -> None:
    """45 mL cannot be in a 40 mL reservoir; planning on it would put the refill late."""
    with pytest.raises(InvalidInput, match="does not fit"):
        refill(fill=ml(45))


def test_a_fill_at_or_below_the_alarm_is_refused() -> None:
    """A fill at the alarm volume means the alarm is due now: refused with a hint to refill."""
    with pytest.raises(InvalidInput, match="alarm is due now"):
        refill(fill=ml(2))


def test_an_unknown_origin_is_refused() -> None:
    """Origin is spinal or cerebral."""
    with pytest.raises(InvalidInput, match="origin"):
        refill(origin="cardiac")


def test_a_reservoir_given_as_a_mass_is_refused() -> None:
    """The reservoir size is a volume in mL."""
    with pytest.raises(InvalidInput, match="mL"):
        refill(reservoir=mg(40))


# ------------------------------------------------------------------ warnings


def test_a_dose_above_1000_mcg_a_day_is_warned() -> None:
    """1200 mcg a day is above the 1000 mcg a day where experience is limited."""
    plan = refill(daily=mcg(1200))
    assert "pump.above_max_daily" in codes(plan)
    assert "pump.above_max_daily" not in codes(refill(daily=mcg(1000)))


def test_a_dose_outside_every_usual_maintenance_range_is_warned() -> None:
    """50 mcg a day is below both the spinal and cerebral usual ranges."""
    assert "pump.outside_usual_maintenance" in codes(refill(daily=mcg(50)))
    assert "pump.outside_usual_maintenance" not in codes(refill(daily=mcg(500)))


def test_the_origin_picks_its_own_maintenance_range() -> None:
    """200 mcg a day is usual for cerebral origin (90-703) but not for spinal (300-800)."""
    assert "pump.outside_usual_maintenance" not in codes(refill(daily=mcg(200), origin="cerebral"))
    assert "pump.outside_usual_maintenance" in codes(refill(daily=mcg(200), origin="spinal"))


def test_a_concentration_that_is_not_marketed_is_warned() -> None:
    """1500 mcg/mL is not one of the marketed concentrations."""
    assert "pump.unmarketed_concentration" in codes(refill(concentration="1500 mcg/mL"))
    assert "pump.unmarketed_concentration" not in codes(refill(concentration="1000 mcg/mL"))


def test_a_reservoir_that_is_not_20_or_40_ml_is_warned() -> None:
    """A 30 mL reservoir is not a SynchroMed II size."""
    assert "pump.unusual_reservoir" in codes(refill(reservoir=ml(30)))
    assert "pump.unusual_reservoir" not in codes(refill(reservoir=ml(20)))


def test_an_alarm_below_the_manufacturers_2_ml_is_warned() -> None:
    """An alarm at 1 mL is below the manufacturer's recommended 2 mL."""
    assert "pump.alarm_below_manufacturer" in codes(refill(alarm=ml(1)))
    assert "pump.alarm_below_manufacturer" not in codes(refill(alarm=ml(2)))


def test_the_4_ml_study_is_noted_until_the_alarm_is_4_ml() -> None:
    """With the 2 mL alarm the 4 mL study is mentioned; with a 4 mL alarm it is not."""
    assert "pump.consider_safer_alarm" in codes(refill())
    assert "pump.consider_safer_alarm" not in codes(refill(alarm=ml(4)))


def test_an_interval_shorter_than_the_buffer_means_refill_now() -> None:
    """5 mL at 2000 mcg/mL and 1000 mcg a day reaches the alarm in 6 days: refill today, loudly."""
    plan = refill(fill=ml(5), daily=mcg(1000))
    assert plan.refill_date == TODAY
    assert "pump.refill_due_now" in codes(plan)


def test_the_notes_say_to_cap_at_stability_and_eri() -> None:
    """The notes mention boluses in the daily total and the missing stability limit."""
    text = " ".join(refill().notes)
    assert "boluses" in text
    assert "stability" in text


# ------------------------------------------------------------------ properties

VOLUMES = st.fractions(min_value=Fraction(21, 10), max_value=Fraction(40)).map(
    lambda f: f.limit_denominator(100)
)
# From the smallest screening bolus (50 mcg): far lower doses with a full reservoir outlast the pump and
# are refused (test_a_reservoir_that_outlasts_the_pump_is_refused).
DOSES = st.integers(min_value=50, max_value=1500)
CONCENTRATIONS = st.sampled_from(["500 mcg/mL", "1000 mcg/mL", "2000 mcg/mL"])


@given(first=VOLUMES, second=VOLUMES, dose=DOSES, concentration=CONCENTRATIONS)
@settings(max_examples=150, deadline=None)
def test_more_volume_never_gives_fewer_days(
    first: Fraction, second: Fraction, dose: int, concentration: str
) -> None:
    """Days to the alarm and to empty rise with the fill, and the refill date never moves earlier."""
    low, high = sorted((first, second))
    a = refill(fill=ml(low), daily=mcg(dose), concentration=concentration)
    b = refill(fill=ml(high), daily=mcg(dose), concentration=concentration)
    assert a.days_to_alarm <= b.days_to_alarm
    assert a.days_to_empty <= b.days_to_empty
    assert a.refill_date <= b.refill_date
    if low < high:
        assert a.days_to_alarm < b.days_to_alarm


@given(fill=VOLUMES, low=DOSES, high=DOSES, concentration=CONCENTRATIONS)
@settings(max_examples=150, deadline=None)
def test_a_higher_dose_never_gives_more_days(fill: Fraction, low: int, high: int, concentration: str) -> None:
    """Days to the alarm fall as the daily dose rises."""
    low, high = sorted((low, high))
    a = refill(fill=ml(fill), daily=mcg(low), concentration=concentration)
    b = refill(fill=ml(fill), daily=mcg(high), concentration=concentration)
    assert a.days_to_alarm >= b.days_to_alarm


@given(fill=VOLUMES, dose=DOSES, concentration=CONCENTRATIONS)
@settings(max_examples=150, deadline=None)
def test_the_refill_is_never_planned_after_the_alarm_or_before_today(
    fill: Fraction, dose: int, concentration: str
) -> None:
    """The refill date lies between today and the alarm day minus the buffer (or today when that has passed)."""
    plan = refill(fill=ml(fill), daily=mcg(dose), concentration=concentration)
    assert TODAY <= plan.refill_date <= plan.alarm_date
    assert plan.days_to_alarm < plan.days_to_empty
    assert plan.refill_date == max(TODAY, plan.alarm_date - timedelta(days=plan.buffer_days))


def test_the_daily_volume_is_the_dose_over_the_concentration() -> None:
    """Concentration.per_ml divides the dose exactly: 500 mcg at 500 mcg/mL is 1 mL a day."""
    plan = plan_refill(
        reservoir=ml(20),
        concentration=Concentration(mcg(500), ml(1)),
        daily_dose=mcg(500),
        today=TODAY,
        rules=RULES,
        kb_version=KB.version,
    )
    assert plan.daily_volume == ml(1)
    assert plan.days_to_alarm == 18


# ------------------------------------------------------------------ implausible values and programme changes


def refill_with(changes: tuple[tuple[date, Quantity], ...], **kwargs: object) -> RefillPlan:
    assert RULES is not None
    return plan_refill(
        reservoir=ml(40),
        concentration=parse_concentration(str(kwargs.get("concentration", "2000 mcg/mL"))),
        daily_dose=kwargs.get("daily", mcg(500)),  # type: ignore[arg-type]
        today=TODAY,
        rules=RULES,
        kb_version=KB.version,
        changes=changes,
    )


@given(daily=st.integers(min_value=1, max_value=26), concentration=CONCENTRATIONS)
@settings(max_examples=60, deadline=None)
def test_a_reservoir_that_outlasts_the_pump_is_refused(daily: int, concentration: str) -> None:
    """Whenever the alarm would come after the pump's 7-year service life, the request is refused."""
    per_ml = parse_concentration(concentration).per_ml.amount
    days = Fraction(38) * per_ml / daily
    service_days = (TODAY.replace(year=TODAY.year + 7) - TODAY).days
    if days > service_days:
        with pytest.raises(InvalidInput, match="service life"):
            refill(daily=mcg(daily), concentration=concentration)
    else:
        plan = refill(daily=mcg(daily), concentration=concentration)
        assert plan.refill_date <= TODAY.replace(year=TODAY.year + 7)


def test_no_refill_date_is_ever_beyond_the_pump_service_life() -> None:
    """5 mcg a day of 2000 mcg/mL (a refill in the 2080s by plain arithmetic) is refused, not planned."""
    with pytest.raises(InvalidInput, match="service life"):
        refill(daily=mcg(5))


@pytest.mark.parametrize(
    ("daily", "concentration"), [(10, "50 mcg/mL"), (25, "500 mcg/mL"), (49, "500 mcg/mL")]
)
def test_a_daily_dose_below_any_intrathecal_dose_is_major(daily: int, concentration: str) -> None:
    """Below the smallest screening bolus (50 mcg) a day is a major finding whenever it is computed at all."""
    plan = refill(daily=mcg(daily), concentration=concentration)
    found = {w.code: w for w in plan.warnings}
    assert found["pump.below_any_intrathecal_dose"].severity.value == "major"


def test_the_smallest_screening_bolus_itself_is_not_flagged_as_implausible() -> None:
    """50 mcg a day (the smallest screening bolus) is not below any intrathecal dose."""
    assert "pump.below_any_intrathecal_dose" not in codes(refill(daily=mcg(50), concentration="500 mcg/mL"))


def test_a_programme_change_follows_the_residual_volume() -> None:
    """500 mcg a day for 9 days then 1000: 2.25 mL used, 35.75 mL left at 0.5 mL a day = 71.5 more days."""
    plan = refill_with(((TODAY + timedelta(days=9), mcg(1000)),))
    assert plan.days_to_alarm == Fraction(9) + Fraction("35.75") / Fraction("0.5")
    assert plan.alarm_date == TODAY + timedelta(days=80)
    assert plan.days_to_empty == Fraction(9) + Fraction("37.75") / Fraction("0.5")


def test_a_change_after_the_alarm_changes_nothing() -> None:
    """A change dated after the reservoir reaches the alarm leaves the alarm date where it was."""
    base = refill()
    later = refill_with(((TODAY + timedelta(days=200), mcg(100)),))
    assert later.days_to_alarm == base.days_to_alarm


@given(day=st.integers(min_value=1, max_value=150), new=st.integers(min_value=50, max_value=1000))
@settings(max_examples=80, deadline=None)
def test_a_lower_new_rate_never_brings_the_alarm_earlier(day: int, new: int) -> None:
    """Lowering the rate part-way never shortens the interval, raising it never lengthens it."""
    base = refill()
    changed = refill_with(((TODAY + timedelta(days=day), mcg(new)),))
    if new <= 500:
        assert changed.days_to_alarm >= base.days_to_alarm
    else:
        assert changed.days_to_alarm <= base.days_to_alarm


@pytest.mark.parametrize("offset", [0, -3])
def test_a_change_on_or_before_the_fill_day_is_refused(offset: int) -> None:
    """A programme change must come after the fill day; otherwise it is the starting dose, so refused."""
    with pytest.raises(InvalidInput):
        refill_with(((TODAY + timedelta(days=offset), mcg(600)),))


def test_a_change_in_mg_is_refused() -> None:
    """A change written in mg is refused like the daily dose (a thousandfold slip)."""
    with pytest.raises(InvalidInput):
        refill_with(((TODAY + timedelta(days=5), mg("0.6")),))


def test_a_concentration_a_thousandfold_off_a_product_names_the_product() -> None:
    """2 mcg/mL (2 mg/mL written as mcg) is major and names 2000 mcg/mL as the likely meaning."""
    found = {w.code: w for w in refill(concentration="2 mcg/mL", daily=mcg(50), fill=ml(40)).warnings}
    warning = found["pump.unmarketed_concentration"]
    assert warning.severity.value == "major"
    assert "2000 mcg/mL" in warning.message.split(";")[-1]


def test_the_residual_volume_follows_each_programme_segment() -> None:
    """40 mL at 0.25 mL a day for 9 days (2.25 mL), then 0.5 mL a day: 37.75 mL on the change day, 32.75
    mL ten days later; the days left at the change are that residual above the alarm over the new rate."""
    change = TODAY + timedelta(days=9)
    plan = refill_with(((change, mcg(1000)),))
    assert residual_volume(plan, TODAY) == ml(40)
    assert residual_volume(plan, change) == ml("37.75")
    assert residual_volume(plan, change + timedelta(days=10)) == ml("32.75")
    left_at_change = (residual_volume(plan, change) - plan.alarm).amount / Fraction("0.5")
    assert plan.days_to_alarm == 9 + left_at_change


def test_the_residual_volume_never_goes_below_empty() -> None:
    """Long after the empty date the reservoir holds 0 mL, not a negative volume."""
    plan = refill()
    assert residual_volume(plan, plan.empty_date + timedelta(days=30)) == ml(0)
