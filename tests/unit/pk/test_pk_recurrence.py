"""The fused recurrence kernel against the closed-form superposition engine, and its streaming counts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from dosewise.domain.pk import (
    DoseEvent,
    DoseSchedule,
    IndividualModel,
    ParameterSet,
    Superposition,
    individualise,
    schedule_from_history,
    schedule_from_plan,
    simulate,
)
from dosewise.domain.pk.population import (
    AUC_BINS,
    CONCENTRATION_BINS,
    LogBins,
    PopulationSpec,
    PopulationSummary,
    _draw,
    kidney_range,
    simulate_blocks,
)
from dosewise.domain.pk.recurrence import (
    UNIFORM,
    event_table,
    one_compartment_input,
    run,
    trace,
    trace_subjects,
)
from dosewise.domain.quantity import mcg, mg
from dosewise.domain.regimen import Plan, Step

RTOL = 1e-9
# The engine sums modes that cancel at a dose instant and leaves a residue near 1e-14 ng/mL there, where
# the recurrence gives the exact zero; 1 fg/mL is far below anything the model is read at.
ATOL_NG_ML = 1e-12


def _assert_agree(model: IndividualModel, schedule: DoseSchedule, resolution_h: float) -> None:
    traced = trace(model, schedule, resolution_h=resolution_h)
    engine = Superposition(model, schedule.times_h, schedule.amounts_mg).concentration(traced.times_h)
    assert np.count_nonzero(engine > 1.0) > 10
    error = np.abs(traced.concentration_ng_ml - engine)
    assert np.all(error <= RTOL * engine + ATOL_NG_ML), float(np.max(error / np.maximum(engine, 1e-300)))
    exact = simulate(model, schedule, resolution_h=resolution_h)
    assert np.allclose(traced.day_auc_ng_h_ml, [d.auc_ng_h_ml for d in exact.days], rtol=RTOL, atol=0)
    edges = np.array([d.start_h for d in exact.days] + [schedule.horizon_h])
    for index, day in enumerate(exact.days):
        inside = (traced.times_h >= day.start_h) & (traced.times_h < edges[index + 1])
        grid_max = float(np.max(engine[inside])) if inside.any() else 0.0
        assert traced.day_cmax_ng_ml[index] == pytest.approx(grid_max, rel=RTOL, abs=ATOL_NG_ML)


def _single_dose(day: date = date(2026, 1, 5)) -> Plan:
    return Plan("baclofen", "oral", (Step(day, 1, mg(20), (time(8),)),), "x", then="stop")


def _irregular_history(zone) -> list[DoseEvent]:
    """Doses at minutes off any grid, a missed evening dose, a double dose and an mcg entry, across the
    night Paris springs forward (2026-03-29 02:00 -> 03:00)."""
    base = datetime(2026, 3, 27, 8, 0, tzinfo=zone)
    return [
        DoseEvent(base, mg(10)),
        DoseEvent(base + timedelta(hours=6, minutes=17), mg(10)),
        DoseEvent(base + timedelta(days=1, minutes=43), mg(10)),
        DoseEvent(base + timedelta(days=1, hours=1, minutes=7), mg(10), note="extra"),
        DoseEvent(datetime(2026, 3, 29, 1, 50, tzinfo=zone), mg(5)),
        DoseEvent(datetime(2026, 3, 29, 3, 10, 30, tzinfo=zone), mg(5)),
        DoseEvent(datetime(2026, 3, 29, 21, 59, 59, tzinfo=zone), mcg(7500)),
        DoseEvent(datetime(2026, 3, 30, 0, 0, tzinfo=zone), mg(10)),
    ]


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
@pytest.mark.parametrize("resolution_h", [0.1, 0.25, 0.07])
def test_a_single_dose_agrees_with_superposition_to_one_in_a_billion(set_name, resolution_h, request) -> None:
    """20 mg once: every grid concentration, the day's grid Cmax and its AUC agree to 1e-9 relative."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    schedule = schedule_from_plan(_single_dose(), UTC, extra_days=2)
    _assert_agree(individualise(parameter_set, crcl_ml_min=None), schedule, resolution_h)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
@pytest.mark.parametrize("crcl", [None, 25.0])
def test_the_label_titration_across_daylight_saving_agrees(
    set_name, crcl, request, label_titration, paris
) -> None:
    """Twelve days of repeated doses in Paris (a 23-hour day), normal and reduced kidney function."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    schedule = schedule_from_plan(label_titration, paris, extra_days=2)
    _assert_agree(individualise(parameter_set, crcl_ml_min=crcl), schedule, 0.1)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
@pytest.mark.parametrize("resolution_h", [0.1, 0.3])
def test_an_irregular_history_with_off_grid_doses_across_daylight_saving_agrees(
    set_name, resolution_h, request, paris
) -> None:
    """Off-grid doses are reached by exact partial steps; the history crosses the spring-forward night."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    schedule = schedule_from_history(_irregular_history(paris), paris)
    samples = schedule.sample_count(resolution_h)
    assert event_table(schedule, resolution_h, samples).partial_steps >= 6
    for crcl in (None, 40.0):
        _assert_agree(individualise(parameter_set, crcl_ml_min=crcl), schedule, resolution_h)


def test_a_history_ending_between_samples_closes_its_last_day_at_the_horizon(simon, paris) -> None:
    """With ``until`` at 13:25 the last day's AUC runs to the horizon, off the grid, and still agrees."""
    doses = _irregular_history(paris)
    schedule = schedule_from_history(doses, paris, until=datetime(2026, 3, 31, 13, 25, tzinfo=paris))
    _assert_agree(individualise(simon, crcl_ml_min=None), schedule, 0.1)


@pytest.mark.parametrize("set_name", ["simon", "kochak"])
def test_a_plan_with_clock_times_off_the_grid_agrees_and_reuses_few_partial_lengths(
    set_name, request, paris
) -> None:
    """07:45, 13:45 and 21:05 are off the 0.1 h grid: 72 partial steps over 12 days (a DST change
    included) share four lengths, and each split step adds up to the grid step."""
    parameter_set: ParameterSet = request.getfixturevalue(set_name)
    times = (time(7, 45), time(13, 45), time(21, 5))
    plan = Plan("baclofen", "oral", (Step(date(2026, 3, 24), 12, mg(10), times),), "x", then="stop")
    schedule = schedule_from_plan(plan, paris, extra_days=1)
    table = event_table(schedule, 0.1, schedule.sample_count(0.1))
    assert table.partial_steps == 72
    assert len(table.lengths_h) <= 4  # 0.05 before and after 07:45 and 13:45, 0.083 and 0.017 at 21:05
    split = (table.before >= 0) & (table.tail >= 0)
    total = table.lengths_h[table.before[split]] + table.lengths_h[table.tail[split]]
    assert np.allclose(total, 0.1, rtol=0, atol=1e-12)
    _assert_agree(individualise(parameter_set, crcl_ml_min=None), schedule, 0.1)


def test_a_history_with_more_distinct_partial_steps_than_are_cached_agrees(simon, paris) -> None:
    """Sixty doses at random seconds give more distinct partial lengths than the kernel keeps per chunk;
    the ones beyond are computed at each use and agree all the same."""
    rng = np.random.default_rng(5)
    base = datetime(2026, 3, 20, 6, 0, tzinfo=paris)
    offsets = np.sort(rng.uniform(0, 20 * 24 * 3600, 60))
    doses = [DoseEvent(base + timedelta(seconds=float(x)), mg(5)) for x in offsets]
    schedule = schedule_from_history(doses, paris)
    assert len(event_table(schedule, 0.1, schedule.sample_count(0.1)).lengths_h) > 64
    _assert_agree(individualise(simon, crcl_ml_min=60.0), schedule, 0.1)


def test_a_dose_on_a_grid_point_is_one_uniform_step_not_a_partial_one(simon) -> None:
    """14:00 is 140 x 0.1 h to within an ulp: applied at that sample, with no partial step."""
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 2, mg(10), (time(8), time(14))),), "x")
    schedule = schedule_from_plan(plan, UTC)
    table = event_table(schedule, 0.1, 480)
    assert table.partial_steps == 0
    doses = table.kind == 1
    assert list(table.sample[doses]) == [80, 140, 320, 380]
    assert np.all(table.before[doses] == UNIFORM)


def test_a_dose_and_a_day_edge_at_the_same_instant_close_the_day_first(simon) -> None:
    """A midnight dose belongs to the new day: the edge event comes first."""
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 2, mg(10), (time(0), time(12))),), "x")
    table = event_table(schedule_from_plan(plan, UTC), 0.5, 96)
    at_48 = np.flatnonzero(table.sample == 48)
    assert list(table.kind[at_48]) == [0, 1]


def test_coinciding_absorption_and_elimination_rates_stay_exact() -> None:
    """ka = k has no two-exponential closed form; the kernel's form gives D ka t e^{-kt} / V exactly."""
    rate, v = 0.3, 50.0
    subjects = one_compartment_input(np.array([rate]), np.array([rate * v]), np.array([v]))
    plan = Plan("baclofen", "oral", (Step(date(2026, 1, 5), 1, mg(20), (time(0),)),), "x", then="stop")
    schedule = schedule_from_plan(plan, UTC, extra_days=1)
    traced = trace_subjects(subjects, schedule, resolution_h=0.1)
    t = traced.times_h
    assert len(t) == 480
    expected = 20.0 * rate * t * np.exp(-rate * t) / v * 1000.0
    assert np.all(np.abs(traced.concentration_ng_ml[:, 0] - expected) <= RTOL * expected + ATOL_NG_ML)


@pytest.mark.parametrize("value_kind", ["edges", "around_edges", "specials", "random"])
def test_the_kernel_bins_values_exactly_as_log_bins_index(value_kind) -> None:
    """The bit-pattern lookup equals searchsorted on the edges, at the edges, an ulp either side, for zero,
    negatives, subnormals, infinities and NaN."""
    from dosewise.domain.pk.kernel import _bin

    for bins in (CONCENTRATION_BINS, AUC_BINS, LogBins(0.5, 3.0, 7)):
        edges = bins.edges()
        if value_kind == "edges":
            values = edges
        elif value_kind == "around_edges":
            values = np.concatenate((np.nextafter(edges, 0), np.nextafter(edges, np.inf)))
        elif value_kind == "specials":
            values = np.array([0.0, -0.0, -1.0, 5e-324, 1e-300, np.inf, -np.inf, np.nan, 1e300, edges[0] / 2])
        else:
            values = np.random.default_rng(7).lognormal(np.log(edges[len(edges) // 2]), 3.0, 5000)
        table, upper, shift, key0 = bins.lookup()
        bits = values.view(np.int64)
        got = [_bin(int(b), float(v), table, upper, shift, key0) for b, v in zip(bits, values, strict=True)]
        assert got == list(bins.index(values))


@pytest.fixture
def spec(simon, label_titration, paris) -> PopulationSpec:
    """300 subjects in blocks of 128 on the label titration in Paris, CrCl 20-140 mL/min, 0.1 h grid."""
    schedule = schedule_from_plan(label_titration, paris, extra_days=1)
    return PopulationSpec(simon, schedule, 300, 3, 0.1, kidney_range(20, 140), 400.0, block_size=128)


def test_population_counts_equal_histograms_of_each_traced_subject(spec) -> None:
    """The fused counts (multi-step passes, no curves kept) equal numpy histograms of the same subjects'
    traced curves and per-day figures, bin for bin."""
    fused = simulate_blocks(spec, range(spec.blocks))
    expected = PopulationSummary.empty(spec)
    days = len(spec.schedule.days)
    rows = spec.percentile_stride
    for block in range(spec.blocks):
        ka, cl, v, _ = _draw(spec, block)
        traced = trace_subjects(
            one_compartment_input(ka, cl, v), spec.schedule, resolution_h=spec.resolution_h
        )
        assert traced.concentration_ng_ml.shape == (spec.sample_count, len(ka))
        sampled = traced.concentration_ng_ml[::rows]
        width = spec.concentration_bins.count + 2
        for r, row in enumerate(sampled):
            expected.concentration[r] += np.bincount(spec.concentration_bins.index(row), minlength=width)
            expected.above[r] += np.count_nonzero(row > spec.threshold_ng_ml)
        for d in range(days):
            expected.day_cmax[d] += np.bincount(
                spec.concentration_bins.index(traced.day_cmax_ng_ml[d]), minlength=width
            )
            expected.day_auc[d] += np.bincount(
                spec.auc_bins.index(traced.day_auc_ng_h_ml[d]), minlength=spec.auc_bins.count + 2
            )
    assert np.array_equal(fused.concentration, expected.concentration)
    assert np.array_equal(fused.above, expected.above)
    assert np.array_equal(fused.day_cmax, expected.day_cmax)
    assert np.array_equal(fused.day_auc, expected.day_auc)
    assert fused.concentration.sum() == 300 * len(spec.percentile_times_h())


def test_population_subjects_agree_with_their_closed_form_curves(spec, drawn_subject) -> None:
    """Each drawn subject's traced curve matches the superposition engine for that subject to 1e-9."""
    ka, cl, v, crcl = _draw(spec, 1)
    traced = trace_subjects(one_compartment_input(ka, cl, v), spec.schedule, resolution_h=spec.resolution_h)
    curves = traced.concentration_ng_ml
    grid = spec.times_h()
    assert np.array_equal(traced.times_h, grid)
    for index in range(0, len(ka), 9):
        model = drawn_subject(
            spec.parameter_set, float(ka[index]), float(cl[index]), float(v[index]), float(crcl[index])
        )
        engine = Superposition(model, spec.schedule.times_h, spec.schedule.amounts_mg).concentration(grid)
        assert np.all(np.abs(curves[:, index] - engine) <= RTOL * engine + ATOL_NG_ML)


def test_importing_the_pk_package_and_services_does_not_load_numba() -> None:
    """numba (and its compile or cache load) is paid only when a population or trace actually runs."""
    code = (
        "import sys, dosewise.domain.pk, dosewise.domain.pk.population, dosewise.domain.pk.recurrence, "
        "dosewise.services.simulation, dosewise.cli.main; print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_arrays_that_do_not_fit_the_grid_are_refused_before_the_kernel_writes(simon) -> None:
    """The compiled kernel has no bounds checks, so a counts array too small for the bins is refused."""
    from dosewise.domain.errors import InvalidInput

    schedule = schedule_from_plan(_single_dose(), UTC, extra_days=1)
    subjects = one_compartment_input(np.array([1.6]), np.array([11.6]), np.array([72.8]))
    days = len(schedule.days)
    with pytest.raises(InvalidInput, match="do not match"):
        run(
            subjects,
            event_table(schedule, 1.0, 48),
            resolution_h=1.0,
            samples=48,
            stride=1,
            threshold_ng_ml=400.0,
            concentration_bins=CONCENTRATION_BINS.lookup(),
            auc_bins=AUC_BINS.lookup(),
            concentration=np.zeros((48, 10), dtype=np.int64),
            above=np.zeros(48, dtype=np.int64),
            day_cmax=np.zeros((days, CONCENTRATION_BINS.count + 2), dtype=np.int64),
            day_auc=np.zeros((days, AUC_BINS.count + 2), dtype=np.int64),
        )
