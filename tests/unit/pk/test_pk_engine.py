"""The superposition engine against an independent ODE integration and closed-form pharmacokinetics."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from dosewise.domain.pk import (
    DoseEvent,
    ParameterSet,
    SimulationRefused,
    exposure_ratio,
    individualise,
    schedule_from_history,
    schedule_from_plan,
    simulate,
)
from dosewise.domain.quantity import mcg, mg
from dosewise.domain.regimen import Plan, Step

RTOL = 1e-6


def _assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    mask = expected > 1e-3
    assert mask.sum() > 10
    relative = np.abs(actual[mask] - expected[mask]) / expected[mask]
    assert relative.max() < RTOL
    assert np.all(np.abs(actual[~mask] - expected[~mask]) < 1e-6)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
def test_single_dose_matches_the_ode_to_one_in_a_million(set_name, request, ode) -> None:
    """A single 20 mg dose agrees with scipy's ODE solution to 1e-6 relative for both structures."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 1, mg(20), (time(8),)),), "x", then="stop")
    schedule = schedule_from_plan(plan, UTC, extra_days=1)
    model = individualise(parameter_set, crcl_ml_min=None)
    result = simulate(model, schedule, resolution_h=0.05)
    expected = ode(model, np.array(schedule.times_h), np.array(schedule.amounts_mg), result.times_h)
    _assert_close(result.concentration_ng_ml, expected)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
def test_label_titration_matches_the_ode(set_name, request, ode, label_titration, paris) -> None:
    """Twelve days of repeated doses across a daylight-saving change agree with the ODE to 1e-6."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    schedule = schedule_from_plan(label_titration, paris)
    model = individualise(parameter_set, crcl_ml_min=None)
    result = simulate(model, schedule)
    expected = ode(model, np.array(schedule.times_h), np.array(schedule.amounts_mg), result.times_h)
    _assert_close(result.concentration_ng_ml, expected)


def test_irregular_history_with_missed_and_extra_doses_matches_the_ode(simon, ode, paris) -> None:
    """Off-grid times, a missed dose, a double dose and an mcg entry all agree with the ODE."""
    base = datetime(2026, 3, 27, 8, 0, tzinfo=paris)
    doses = [
        DoseEvent(base, mg(10)),
        DoseEvent(base + timedelta(hours=6, minutes=17), mg(10)),
        # the evening dose of day one is missed
        DoseEvent(base + timedelta(days=1, minutes=43), mg(10)),
        DoseEvent(base + timedelta(days=1, hours=1, minutes=7), mg(10), note="extra"),
        DoseEvent(base + timedelta(days=2, hours=5, minutes=3), mcg(7500)),
    ]
    schedule = schedule_from_history(doses, paris)
    assert schedule.amounts_mg[-1] == pytest.approx(7.5)
    model = individualise(simon, crcl_ml_min=None)
    result = simulate(model, schedule, resolution_h=0.07)
    expected = ode(model, np.array(schedule.times_h), np.array(schedule.amounts_mg), result.times_h)
    _assert_close(result.concentration_ng_ml, expected)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
def test_reduced_kidney_function_matches_the_ode(set_name, request, ode, label_titration) -> None:
    """At CrCl 25 mL/min the slower elimination still agrees with the ODE to 1e-6."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    schedule = schedule_from_plan(label_titration, UTC)
    model = individualise(parameter_set, crcl_ml_min=25.0)
    assert model.renal_factor < 0.5
    result = simulate(model, schedule)
    expected = ode(model, np.array(schedule.times_h), np.array(schedule.amounts_mg), result.times_h)
    _assert_close(result.concentration_ng_ml, expected)


@pytest.mark.parametrize("crcl", [None, 60.0, 15.0])
def test_single_dose_auc_to_infinity_is_dose_over_apparent_clearance(simon, crcl) -> None:
    """AUC 0-inf equals dose / (CL/F), i.e. F x dose / CL, and the closed-form running AUC reaches it."""
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 1, mg(20), (time(8),)),), "x", then="stop")
    schedule = schedule_from_plan(plan, UTC, extra_days=40)
    model = individualise(simon, crcl_ml_min=crcl)
    result = simulate(model, schedule, resolution_h=0.25)
    expected = 20.0 / model.cl_l_per_h * 1000.0  # mg / (L/h) = mg*h/L; x1000 = ng*h/mL
    assert result.auc_inf_ng_h_ml == pytest.approx(expected, rel=1e-12)
    assert result.auc_ng_h_ml == pytest.approx(expected, rel=1e-9)
    assert sum(day.auc_ng_h_ml for day in result.days) == pytest.approx(expected, rel=1e-9)


def test_single_dose_peak_is_the_analytic_tmax_and_cmax(simon) -> None:
    """tmax = ln(ka/k)/(ka-k) and Cmax follow from the closed form, not from the sampling grid."""
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 1, mg(20), (time(8),)),), "x", then="stop")
    model = individualise(simon, crcl_ml_min=None)
    result = simulate(model, schedule_from_plan(plan, UTC, extra_days=1), resolution_h=0.5)
    ka, k, v = model.ka_per_h, model.micro["k_per_h"], model.v_l
    tmax = math.log(ka / k) / (ka - k)
    cmax = 20.0 / v * ka / (ka - k) * (math.exp(-k * tmax) - math.exp(-ka * tmax)) * 1000.0
    assert result.tmax_h == pytest.approx(tmax, rel=1e-9)
    assert result.cmax_ng_ml == pytest.approx(cmax, rel=1e-9)


def test_steady_state_matches_the_accumulation_formula(simon) -> None:
    """Every 8 h dosing: Cmin at steady state is A (e^-kt/(1-e^-kt) - e^-kat/(1-e^-kat)) and Cavg = D/(CL t)."""
    times = (time(0), time(8), time(16))
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 6, mg(10), times),), "x", then="continue")
    model = individualise(simon, crcl_ml_min=None)
    result = simulate(model, schedule_from_plan(plan, UTC), resolution_h=0.05)
    ka, k, v, tau = model.ka_per_h, model.micro["k_per_h"], model.v_l, 8.0
    a = 10.0 / v * ka / (ka - k) * 1000.0
    trough = a * (
        math.exp(-k * tau) / (1 - math.exp(-k * tau)) - math.exp(-ka * tau) / (1 - math.exp(-ka * tau))
    )
    first_trough = a * (math.exp(-k * tau) - math.exp(-ka * tau))
    steady = result.steady
    assert steady is not None
    assert steady.cmin_ng_ml == pytest.approx(trough, rel=1e-9)
    assert steady.cavg_ng_ml == pytest.approx(10.0 / (model.cl_l_per_h * tau) * 1000.0, rel=1e-12)
    assert steady.cmin_ng_ml / first_trough == pytest.approx(
        (1 / (1 - math.exp(-k * tau)) * math.exp(-k * tau) - math.exp(-ka * tau) / (1 - math.exp(-ka * tau)))
        / (math.exp(-k * tau) - math.exp(-ka * tau)),
        rel=1e-9,
    )
    assert result.days[-1].auc_ng_h_ml == pytest.approx(steady.auc_24h_ng_h_ml, rel=1e-3)
    assert steady.reached_on is not None
    assert steady.reached_on <= date(2026, 1, 7)


def test_time_to_steady_state_is_about_three_and_a_third_half_lives(simon) -> None:
    """With ka much faster than k, 90% of steady state takes a little over log2(10) half-lives."""
    model = individualise(simon, crcl_ml_min=None)
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 3, mg(10), (time(8),)),), "x", then="continue")
    steady = simulate(model, schedule_from_plan(plan, UTC)).steady
    assert steady is not None
    assert math.log2(10) * model.half_life_h < steady.hours_to_90_percent < 3.6 * model.half_life_h


def test_kidney_function_scales_exposure_by_the_renal_split(simon, label_titration) -> None:
    """The reference CrCl gives factor 1; lower CrCl raises steady-state exposure by 1 / factor."""
    assert simon.renal.factor(simon.renal.reference_crcl_ml_min.value) == pytest.approx(1.0)
    schedule = schedule_from_plan(label_titration, UTC)
    band = (80.0, 400.0)
    reference = simulate(individualise(simon, crcl_ml_min=None), schedule, band_ng_ml=band)
    impaired = simulate(individualise(simon, crcl_ml_min=30.0), schedule, band_ng_ml=band)
    ratios = exposure_ratio(impaired, reference)
    factor = simon.renal.factor(30.0)
    assert ratios["steady_state_auc"] == pytest.approx(1 / factor)
    assert 1.0 < ratios["auc"] < 1 / factor
    assert impaired.hours_above_band > reference.hours_above_band


def test_dialysis_is_refused_with_a_reason(simon) -> None:
    """No sourced dialysis clearance exists, so a dialysis patient gets a refusal, not a guess."""
    with pytest.raises(SimulationRefused, match="dialysis"):
        individualise(simon, crcl_ml_min=10.0, dialysis=True)


def test_days_follow_the_local_clock_across_daylight_saving(simon, label_titration, paris) -> None:
    """The spring-forward day lasts 23 hours and still holds its three doses."""
    schedule = schedule_from_plan(label_titration, paris)
    result = simulate(individualise(simon, crcl_ml_min=None), schedule)
    by_day = {day.day: day for day in result.days}
    change = by_day[date(2026, 3, 29)]
    assert change.end_h - change.start_h == pytest.approx(23.0)
    assert change.dose_mg == pytest.approx(60.0)
    assert len(schedule.times_h) == 36
    # 08:00 on 30 March is 10 days minus the lost hour plus 8 h after midnight on 20 March.
    assert 10 * 24 - 1 + 8 in schedule.times_h


def test_intrathecal_plans_are_refused(simon) -> None:
    """The oral model never runs on an intrathecal plan."""
    plan = Plan("baclofen_it", "intrathecal", (Step(date(2026, 1, 5), 1, mcg(100), (time(8),)),), "x")
    with pytest.raises(SimulationRefused, match="oral"):
        schedule_from_plan(plan, UTC)


def test_a_dose_time_without_a_zone_is_refused() -> None:
    """A naive date-time could mean any instant, so it is refused."""
    from dosewise.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="time zone"):
        DoseEvent(datetime(2026, 1, 5, 8, 0), mg(10))


def test_a_plan_is_simulated_in_its_own_zone_whatever_the_patients_zone() -> None:
    """A New York plan for a London patient doses at 08:00 New York time, as Today and missed doses read it."""
    from datetime import UTC, date, datetime

    from dosewise.domain.patient import Patient
    from dosewise.domain.quantity import mg
    from dosewise.knowledge import load_knowledge_base
    from dosewise.services import simulation

    kb = load_knowledge_base()
    plan = simulation.repeated_plan(
        kb=kb,
        drug="baclofen",
        dose=mg(5),
        times_per_day=1,
        days=2,
        day=date(2026, 11, 23),
        timezone="America/New_York",
    )
    run = simulation.simulate_plan(kb=kb, plan=plan, patient=Patient(timezone="Europe/London"))
    schedule = run.result.schedule
    # local midnight in New York is 05:00 UTC (in London it would be 00:00 UTC); the dose is 8 h later
    assert schedule.origin.astimezone(UTC) == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert schedule.times_h[0] == 8.0
