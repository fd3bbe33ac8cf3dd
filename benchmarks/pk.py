"""PK benchmark: prints, in one run, each figure beside its reference (never a timed unit test).

1. One patient, the 12-day US label titration (5-10-15-20 mg three times a day), 0.1 h grid, with
   per-day figures and steady state: median of many repeats. Target: under 1 ms.
2. Population throughput in subject-samples per second of the fused kernel (recurrence and every
   summary: hourly concentration histograms, counts above the threshold, per-day Cmax and AUC
   histograms, and drawing the subjects) beside
   (a) scipy solve_ivp doing the same work on a few subjects, scaled per subject-sample, and
   (b) this machine's numpy array-write rate (a[:] = 1.0 on a 64 MiB float64 array).
   Population and array-write timings are interleaved in rounds so both see the same machine load.
   Targets: at least 1000 x solve_ivp and at least 25% of the array-write rate.
3. numba: the cold compile (a fresh process with an empty cache directory) and the warm-up in this
   process (a cache load once compiled), both excluded from the throughput and reported apart.

Run: .venv/bin/python benchmarks/pk.py [--subjects N] [--workers W] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date

import numpy as np
from scipy.integrate import solve_ivp

from dosewise.domain.pk import individualise, schedule_from_plan, simulate
from dosewise.domain.pk.population import PopulationSpec, _draw, kidney_range, simulate_blocks
from dosewise.domain.pk.recurrence import warm_up
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.knowledge import load_knowledge_base
from dosewise.knowledge.pk import load_parameter_sets


def label_titration() -> Plan:
    steps, start = [], date(2026, 3, 20)
    for dose in (5, 10, 15, 20):
        step = Step(start, 3, mg(dose), default_times(3))
        steps.append(step)
        start = step.end
    return Plan("baclofen", "oral", tuple(steps), "2026.11.0", kind="titration", then="continue")


def timed(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def array_writer(elements: int = 8 * 1024 * 1024):
    """a[:] = 1.0 on a float64 array too big for the caches (64 MiB); returns (call, elements)."""
    array = np.empty(elements)
    array[:] = 0.0  # touch the pages first so the kernel's page faults are not timed

    def write() -> None:
        array[:] = 1.0

    return write, elements


def cold_compile_seconds() -> float:
    """numba compile of every kernel specialisation in a fresh process with an empty cache directory."""
    with tempfile.TemporaryDirectory() as cache:
        code = "from dosewise.domain.pk.recurrence import warm_up; print(warm_up())"
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "NUMBA_CACHE_DIR": cache},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return float(out.strip().splitlines()[-1])


def solve_ivp_rate(spec: PopulationSpec, subjects: int = 4) -> float:
    """Subject-samples per second for LSODA (rtol 1e-8) on the same schedule and grid, dose by dose."""
    ka, cl, v, _ = _draw(spec, 0)
    grid = spec.times_h()
    times = np.asarray(spec.schedule.times_h)
    amounts = np.asarray(spec.schedule.amounts_mg)
    began = time.perf_counter()
    for index in range(subjects):
        k, a = cl[index] / v[index], ka[index]

        def rhs(_: float, y: np.ndarray, a: float = a, k: float = k) -> list[float]:
            return [-a * y[0], a * y[0] - k * y[1]]

        state = np.zeros(2)
        bounds = [*times, grid[-1] + spec.resolution_h]
        previous = 0.0
        for j, end in enumerate(bounds):
            chosen = grid[(grid >= previous) & (grid < end)]
            if end > previous:
                solution = solve_ivp(
                    rhs, (previous, end), state, method="LSODA", rtol=1e-8, atol=1e-12, t_eval=chosen
                )
                state = solution.y[:, -1].copy() if solution.y.shape[1] else state
                if len(chosen) and chosen[-1] != end:
                    state = solve_ivp(rhs, (chosen[-1], end), state, method="LSODA", rtol=1e-8, atol=1e-12).y[
                        :, -1
                    ]
            if j < len(times):
                state[0] += amounts[j]
            previous = end
    return subjects * len(grid) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=16384)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--block-size", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    kb = load_knowledge_base()
    simon = load_parameter_sets(kb, "baclofen")[0]["simon2018"]
    sourced_band = kb.drug("baclofen").therapeutic_band_ng_ml  # 80-400 ng/mL, baclofen.toml [concentrations]
    assert sourced_band is not None
    band = (float(sourced_band[0]), float(sourced_band[1]))
    plan = label_titration()
    schedule = schedule_from_plan(plan, UTC)
    model = individualise(simon, crcl_ml_min=None)
    simulate(model, schedule, band_ng_ml=band)
    single = timed(lambda: simulate(model, schedule, band_ng_ml=band), 500)
    print(
        f"single patient, 12-day label titration, 0.1 h grid: {single * 1e3:.3f} ms (median of 500); target < 1 ms"
    )

    warm = warm_up()
    spec = PopulationSpec(
        simon, schedule, args.subjects, 1, 0.1, kidney_range(20, 140), band[1], block_size=4096
    )
    samples = spec.subjects * spec.sample_count
    simulate_blocks(spec, [0])
    write, elements = array_writer()
    population_times: list[float] = []
    write_times: list[float] = []
    for _ in range(args.rounds):
        population_times += [timed(lambda: simulate_blocks(spec, range(spec.blocks)), 1) for _ in range(5)]
        write_times += [timed(write, 1) for _ in range(10)]
    serial = statistics.median(population_times)
    population_rate = samples / serial
    print(
        f"population, {spec.subjects} subjects x {spec.sample_count} samples, fused kernel, 1 process: "
        f"{population_rate:.3g} subject-samples/s ({serial * 1e3:.1f} ms, median of {len(population_times)}; "
        f"range {samples / max(population_times):.3g}-{samples / min(population_times):.3g})"
    )
    if args.workers > 1:
        from dosewise.services.simulation import simulate_population

        began = time.perf_counter()
        simulate_population(
            kb=kb,
            plan=plan,
            subjects=args.subjects,
            seed=1,
            resolution_h=0.1,
            workers=args.workers,
            block_size=args.block_size,
        )
        parallel = samples / (time.perf_counter() - began)
        print(
            f"population, {args.workers} worker processes (incl. start-up and kernel cache load): "
            f"{parallel:.3g} subject-samples/s"
        )

    ivp = solve_ivp_rate(spec)
    write_rate = elements / statistics.median(write_times)
    print(f"(a) scipy solve_ivp (LSODA, same schedule and grid, 4 subjects): {ivp:.3g} subject-samples/s")
    print(
        f"(b) numpy array write a[:] = 1.0, 64 MiB float64: {write_rate:.3g} elements/s "
        f"(median of {len(write_times)}, interleaved with the population runs)"
    )
    print(f"ratio population / solve_ivp: {population_rate / ivp:,.0f}x (target >= 1000x)")
    print(f"ratio population / array write: {100 * population_rate / write_rate:.1f}% (target >= 25%)")
    print(
        f"numba, not in the figures above: cold compile {cold_compile_seconds():.2f} s (fresh process, "
        f"empty cache); warm-up in this run {warm:.2f} s (cache load once compiled)"
    )


if __name__ == "__main__":
    main()
