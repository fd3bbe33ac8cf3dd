"""Virtual populations: reproducible, split-invariant, streaming, with percentiles that can be trusted."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pytest

from dosewise.domain.pk import SimulationRefused, Superposition, schedule_from_plan
from dosewise.domain.pk.population import (
    LogBins,
    PopulationSpec,
    PopulationSummary,
    _draw,
    block_ranges,
    kidney_list,
    kidney_range,
    simulate_blocks,
)


@pytest.fixture
def spec(simon, label_titration) -> PopulationSpec:
    """600 subjects in blocks of 128 over the label titration, CrCl spread 20-140 mL/min, 0.25 h grid."""
    schedule = schedule_from_plan(label_titration, UTC)
    return PopulationSpec(simon, schedule, 600, 11, 0.25, kidney_range(20, 140), 400.0, block_size=128)


def _same(a: PopulationSummary, b: PopulationSummary) -> bool:
    return (
        a.subjects == b.subjects
        and np.array_equal(a.concentration, b.concentration)
        and np.array_equal(a.above, b.above)
        and np.array_equal(a.day_cmax, b.day_cmax)
        and np.array_equal(a.day_auc, b.day_auc)
    )


def test_the_same_seed_gives_identical_counts(spec) -> None:
    """Two runs with one seed agree bit for bit; another seed differs."""
    first = simulate_blocks(spec, range(spec.blocks))
    again = simulate_blocks(spec, range(spec.blocks))
    assert _same(first, again)
    other = PopulationSpec(**{**spec.__dict__, "seed": 12})
    assert not _same(first, simulate_blocks(other, range(other.blocks)))


def test_any_split_of_the_blocks_gives_identical_counts(spec) -> None:
    """Blocks simulated in separate parts and merged in any order equal one serial run."""
    serial = simulate_blocks(spec, range(spec.blocks))
    parts = [simulate_blocks(spec, part) for part in block_ranges(spec.blocks, 3)]
    merged = PopulationSummary.empty(spec)
    for part in reversed(parts):
        merged = merged.merge(part)
    assert _same(serial, merged)
    assert merged.blocks == tuple(range(spec.blocks))


def test_counting_a_block_twice_is_refused(spec) -> None:
    """Merging two summaries that share a block would double-count subjects, so it raises."""
    from dosewise.domain.errors import InvalidInput

    part = simulate_blocks(spec, [0])
    with pytest.raises(InvalidInput, match="twice"):
        part.merge(simulate_blocks(spec, [0]))


def test_memory_does_not_grow_with_subjects(spec) -> None:
    """The summary's arrays have the same shape for 600 subjects as for one."""
    small = PopulationSpec(**{**spec.__dict__, "subjects": 1})
    assert simulate_blocks(small, [0]).concentration.shape == simulate_blocks(spec, [0]).concentration.shape


def test_percentiles_and_threshold_counts_match_an_exact_per_subject_simulation(spec, drawn_subject) -> None:
    """Each subject re-simulated exactly: fraction above is identical and percentiles are within one bin."""
    summary = simulate_blocks(spec, range(spec.blocks))
    grid = spec.times_h()
    curves = []
    for block in range(spec.blocks):
        ka, cl, v, crcl = _draw(spec, block)
        for index in range(len(ka)):
            model = drawn_subject(
                spec.parameter_set, float(ka[index]), float(cl[index]), float(v[index]), float(crcl[index])
            )
            system = Superposition(model, spec.schedule.times_h, spec.schedule.amounts_mg)
            curves.append(system.concentration(grid))
    exact = np.array(curves)
    sampled = exact[:, :: spec.percentile_stride]
    assert np.array_equal(summary.above, (sampled > spec.threshold_ng_ml).sum(axis=0))
    bins = spec.concentration_bins
    estimated = bins.quantiles(summary.concentration, [5, 50, 95])
    late = spec.percentile_times_h() > 30.0
    for row, q in zip(estimated, (5, 50, 95), strict=True):
        truth = np.percentile(sampled, q, axis=0, method="inverted_cdf")
        ratio = row[late] / truth[late]
        assert np.all(ratio < bins.width_ratio + 1e-9)
        assert np.all(ratio > 1 / bins.width_ratio - 1e-9)


def test_log_bins_quantiles_are_within_one_bin_of_numpy() -> None:
    """On a log-normal sample the histogram quantiles sit within one bin ratio of exact order statistics."""
    bins = LogBins(0.01, 1e5, 100)
    values = np.random.default_rng(3).lognormal(np.log(150.0), 0.6, 20_000)
    counts = np.bincount(bins.index(values), minlength=bins.count + 2)
    for q, got in zip((5, 50, 95), bins.quantiles(counts, [5, 50, 95])[:, 0], strict=True):
        truth = np.percentile(values, q, method="inverted_cdf")
        assert 1 / bins.width_ratio < got / truth < bins.width_ratio


def test_zero_concentrations_fall_in_the_underflow_bin() -> None:
    """Before the first dose every subject is at zero, and the percentiles read zero, not a bin edge."""
    bins = LogBins(0.01, 1e5, 100)
    counts = np.bincount(bins.index(np.zeros(50)), minlength=bins.count + 2)
    assert counts[0] == 50
    assert np.all(bins.quantiles(counts, [5, 50, 95]) == 0.0)


def test_a_kidney_list_is_given_to_subjects_in_turn(simon, label_titration) -> None:
    """Subject i gets values[i % len(values)] whatever block it is in."""
    schedule = schedule_from_plan(label_titration, UTC)
    spec = PopulationSpec(simon, schedule, 10, 1, 1.0, kidney_list([30, 60, 90]), block_size=4)
    crcl = np.concatenate([_draw(spec, block)[3] for block in range(spec.blocks)])
    assert list(crcl) == [30, 60, 90, 30, 60, 90, 30, 60, 90, 30]


def test_a_kidney_range_stays_inside_its_bounds(spec) -> None:
    """Uniform CrCl draws lie inside the requested range."""
    crcl = _draw(spec, 0)[3]
    assert crcl.min() >= 20
    assert crcl.max() <= 140


def test_a_two_compartment_population_is_refused(kochak, label_titration) -> None:
    """Kochak publishes no between-subject variability, so no population is drawn from it."""
    with pytest.raises(SimulationRefused):
        PopulationSpec(kochak, schedule_from_plan(label_titration, UTC), 10, 1)


def test_worker_processes_give_the_same_counts_as_one_process(kb, label_titration) -> None:
    """Two worker processes (spawned) reproduce the single-process counts exactly."""
    from dosewise.services.simulation import simulate_population

    common = {
        "kb": kb,
        "plan": label_titration,
        "subjects": 300,
        "seed": 5,
        "resolution_h": 0.5,
        "block_size": 64,
    }
    serial = simulate_population(**common)
    parallel = simulate_population(**common, workers=2)
    assert _same(serial.summary, parallel.summary)
    assert "processes" in parallel.split


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_counts_as_one_process(kb, label_titration) -> None:
    """A Dask LocalCluster (threads) reproduces the single-process counts exactly."""
    distributed = pytest.importorskip("distributed")
    from dosewise.services.simulation import simulate_population

    common = {
        "kb": kb,
        "plan": label_titration,
        "subjects": 300,
        "seed": 5,
        "resolution_h": 0.5,
        "block_size": 64,
    }
    serial = simulate_population(**common)
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered = simulate_population(**common, dask_client=client)
    assert _same(serial.summary, clustered.summary)
    assert clustered.split.startswith("dask")


def test_progress_is_reported_up_to_every_subject(kb, label_titration) -> None:
    """The progress callback ends at (subjects, subjects)."""
    from dosewise.services.simulation import simulate_population

    seen: list[tuple[int, int]] = []
    simulate_population(
        kb=kb,
        plan=label_titration,
        subjects=130,
        seed=1,
        resolution_h=1.0,
        block_size=64,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (130, 130)
    assert len(seen) == 3
