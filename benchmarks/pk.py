"""PK benchmark: prints, in one run, each figure beside its reference (never a timed unit test).

1. One patient, the 12-day US label titration (5-10-15-20 mg three times a day), 0.1 h grid, with
   per-day figures and steady state: median of many repeats. Target: under 1 ms.
2. Population throughput in subject-samples per second (all summaries included) beside
   (a) scipy solve_ivp doing the same work on a few subjects, scaled per subject-sample, and
   (b) this machine's numpy array-write rate (a[:] = 1.0 on a 64 MiB float64 array).
   Targets: at least 1000 x solve_ivp and at least 25% of the array-write rate.

Run: .venv/bin/python benchmarks/pk.py [--subjects N] [--workers W]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date

import numpy as np
from scipy.integrate import solve_ivp

from dosewise.domain.pk import individualise, schedule_from_plan, simulate
from dosewise.domain.pk.population import PopulationSpec, _draw, kidney_range, simulate_blocks
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


def array_write_rate(elements: int = 8 * 1024 * 1024, repeats: int = 30) -> float:
    """Elements per second for a[:] = 1.0 on a float64 array too big for the caches (64 MiB)."""
    array = np.empty(elements)
    array[:] = 0.0  # touch the pages first so the kernel's page faults are not timed

    def write() -> None:
        array[:] = 1.0

    return elements / timed(write, repeats)


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
    args = parser.parse_args()

    kb = load_knowledge_base()
    simon = load_parameter_sets(kb)[0]["simon2018"]
    plan = label_titration()
    schedule = schedule_from_plan(plan, UTC)
    model = individualise(simon, crcl_ml_min=None)
    simulate(model, schedule, band_ng_ml=(80.0, 400.0))
    single = timed(lambda: simulate(model, schedule, band_ng_ml=(80.0, 400.0)), 500)
    print(
        f"single patient, 12-day label titration, 0.1 h grid: {single * 1e3:.3f} ms (median of 500); target < 1 ms"
    )

    spec = PopulationSpec(
        simon, schedule, args.subjects, 1, 0.1, kidney_range(20, 140), 400.0, block_size=4096
    )
    samples = spec.subjects * spec.sample_count
    simulate_blocks(spec, [0])
    serial = timed(lambda: simulate_blocks(spec, range(spec.blocks)), 3)
    population_rate = samples / serial
    print(
        f"population, {spec.subjects} subjects x {spec.sample_count} samples, 1 process: "
        f"{population_rate:.3g} subject-samples/s ({serial:.2f} s, median of 3)"
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
            f"population, {args.workers} worker processes (incl. start-up): {parallel:.3g} subject-samples/s"
        )

    ivp = solve_ivp_rate(spec)
    write = array_write_rate()
    print(f"(a) scipy solve_ivp (LSODA, same schedule and grid, 4 subjects): {ivp:.3g} subject-samples/s")
    print(f"(b) numpy array write a[:] = 1.0, 64 MiB float64: {write:.3g} elements/s")
    print(f"ratio population / solve_ivp: {population_rate / ivp:,.0f}x (target >= 1000x)")
    print(f"ratio population / array write: {100 * population_rate / write:.1f}% (target >= 25%)")


if __name__ == "__main__":
    main()
