"""The exact recurrence on a uniform grid: event tables, per-subject rates, and the entry to the kernel.

Between two grid samples the state of a linear compartment model (gut, central, and peripheral for two
compartments) is multiplied by constant per-subject factors, the entries of the matrix exponential over
one grid step; a dose adds to the gut at its own instant. That is the closed form, evaluated step by step:
no ODE scheme and no truncation, only rounding (a few ulps a step). An event between two samples (a dose
at 08:17, a day edge in a zone with a 45-minute offset) splits the step in two exact partial steps.

This module is numpy only; the compiled kernel (``dosewise.domain.pk.kernel``, numba) is imported inside
the functions that run it, so importing ``dosewise.domain.pk`` never loads numba.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk.engine import MG_PER_L_IN_NG_PER_ML
from dosewise.domain.pk.parameters import IndividualModel
from dosewise.domain.pk.schedule import DoseSchedule

__all__ = [
    "DOSE",
    "EDGE",
    "NOTHING",
    "NO_BINS",
    "UNIFORM",
    "BinLookup",
    "EventTable",
    "KernelInput",
    "Trace",
    "event_table",
    "model_input",
    "one_compartment_input",
    "run",
    "trace",
    "trace_subjects",
    "warm_up",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BinLookup = tuple[IntArray, FloatArray, int, int]
"""(table, upper edges, shift, first key): see ``LogBins.lookup`` in ``population``."""

EDGE = 0  # closes the current calendar day and opens the next
DOSE = 1  # adds an amount (mg) to the gut

# Everything in bin 0: for runs whose histograms are not read (a traced person).
NO_BINS: BinLookup = (np.zeros(1, dtype=np.int64), np.array([np.nan]), 62, 0)

# Two float64 times closer than this many ulps are the same instant (a grid point s x 0.1 and a dose
# at 14:00 differ by one or two ulps of rounding, not by a time anyone could mean).
_SAME_INSTANT_ULPS = 4.0
_PHASE_QUANTUM_PER_H = 2.0**40


@dataclass(frozen=True)
class EventTable:
    """Events in time order with the sample they precede (``sample_count`` for after the last sample).

    ``before`` is the propagation applied before the event and ``tail`` the one after it (only on the
    last event before a sample that falls between two): ``NOTHING``, ``UNIFORM`` (one grid step), or an
    index into ``lengths_h``, the distinct partial steps, most used first, whose factors the kernel
    computes once per chunk of subjects instead of once per event.
    """

    sample: IntArray
    kind: IntArray
    amount_mg: FloatArray
    before: IntArray
    tail: IntArray
    lengths_h: FloatArray

    def arrays(self) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:
        return self.sample, self.kind, self.amount_mg, self.before, self.tail, self.lengths_h

    @property
    def partial_steps(self) -> int:
        return int(np.count_nonzero(self.before >= 0) + np.count_nonzero(self.tail >= 0))


NOTHING = -1
UNIFORM = -2


def event_table(schedule: DoseSchedule, resolution_h: float, samples: int) -> EventTable:
    """Doses before the horizon and day edges (the end of each day, the last at the horizon) placed on the
    grid ``s x resolution_h``, s < ``samples``. An event on a grid point (to a few ulps) is applied just
    before that sample is recorded, so a sample at midnight belongs to the new day and includes a dose
    given at that instant, as the engine counts it; a day edge comes before a dose at the same instant.

    An event between two samples sits at a phase (hours after the sample before it) rounded to 2^-40 h
    (3 ns, a thousandth of the microsecond a time is written to), so the partial steps before and after it
    add up to the grid step (to rounding) and a plan's daily clock times give the same few partial lengths.
    """
    horizon = schedule.horizon_h
    times = np.asarray(schedule.times_h, dtype=np.float64)
    amounts = np.asarray(schedule.amounts_mg, dtype=np.float64)
    keep = times < horizon
    edges = np.minimum(np.array([w.end_h for w in schedule.days], dtype=np.float64), horizon)
    edges[-1] = horizon
    at = np.concatenate((edges, times[keep]))
    kind = np.concatenate((np.full(len(edges), EDGE), np.full(int(keep.sum()), DOSE))).astype(np.int64)
    amount = np.concatenate((np.zeros(len(edges)), amounts[keep]))
    # One grid point past the last sample, so the horizon one step after it is a uniform step too.
    grid = np.arange(samples + 1, dtype=np.float64) * resolution_h
    tolerance = _SAME_INSTANT_ULPS * np.spacing(np.maximum(np.abs(at), resolution_h))
    if np.any(at < -tolerance):
        raise InvalidInput("an event lies before the start of the simulated period")
    sample = np.minimum(np.searchsorted(grid, at - tolerance, side="left"), samples)
    on_grid = np.abs(grid[sample] - at) <= tolerance
    # Hours after the sample before; an event on a grid point is at the end of its step (phase = step).
    phase = np.where(on_grid | (sample == 0), resolution_h, at - grid[np.maximum(sample - 1, 0)])
    phase = np.round(phase * _PHASE_QUANTUM_PER_H) / _PHASE_QUANTUM_PER_H
    order = np.lexsort((kind, on_grid, phase, sample))
    sample, kind, amount = sample[order], kind[order], amount[order]
    on_grid, phase = on_grid[order], phase[order]
    before = np.zeros(len(at))
    tail = np.zeros(len(at))
    uniform = np.zeros(len(at), dtype=bool)
    for index in range(len(at)):
        s = int(sample[index])
        if index == 0 or sample[index - 1] != s:
            now = 0.0  # phase reached so far in this group (hours after sample s - 1)
            moved = False  # whether this group has stepped onto sample s already
        if s == 0:
            continue  # nothing is dosed before time zero: the zero state needs no propagation
        if on_grid[index]:
            if not moved:
                uniform[index] = now == 0.0
                before[index] = 0.0 if now == 0.0 else max(resolution_h - now, 0.0)
                moved = True
        else:
            before[index] = max(phase[index] - now, 0.0)
            now = max(phase[index], now)
        last_of_group = index == len(at) - 1 or sample[index + 1] != s
        if last_of_group and s < samples and not moved:
            tail[index] = max(resolution_h - now, 0.0)
    lengths, before_id, tail_id = _partial_ids(before, tail)
    before_id[uniform] = UNIFORM
    return EventTable(sample.astype(np.int64), kind, amount, before_id, tail_id, lengths)


def _partial_ids(before: FloatArray, tail: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Distinct positive lengths, most frequent first, and each event's index into them (or NOTHING)."""
    both = np.concatenate((before, tail))
    positive = both > 0.0
    values, inverse, counts = np.unique(both[positive], return_inverse=True, return_counts=True)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(values))
    ids = np.full(len(both), NOTHING, dtype=np.int64)
    ids[positive] = rank[inverse]
    lengths = np.empty(len(values))
    lengths[rank] = values
    return lengths, ids[: len(before)], ids[len(before) :]


@dataclass(frozen=True)
class KernelInput:
    """Per-subject rows for the kernel: rates (ka, k) or (ka, k10, k12, k21, alpha, beta) per hour,
    the factor from mg to ng/mL of the central volume, and the elimination rate from the central one."""

    params: FloatArray
    to_ng_ml: FloatArray
    elimination: FloatArray

    @property
    def subjects(self) -> int:
        return int(self.params.shape[1])


def one_compartment_input(ka: FloatArray, cl: FloatArray, v: FloatArray) -> KernelInput:
    k = cl / v
    return KernelInput(np.ascontiguousarray(np.stack((ka, k))), MG_PER_L_IN_NG_PER_ML / v, k)


def model_input(model: IndividualModel) -> KernelInput:
    """One person's resolved model as kernel rows (both structures)."""
    v = np.array([model.v_l])
    if model.parameter_set.structure == "one_compartment":
        return one_compartment_input(np.array([model.ka_per_h]), np.array([model.cl_l_per_h]), v)
    micro = model.micro
    rates = [
        model.ka_per_h,
        micro["k10_per_h"],
        micro["k12_per_h"],
        micro["k21_per_h"],
        micro["alpha_per_h"],
        micro["beta_per_h"],
    ]
    return KernelInput(
        np.array(rates, dtype=np.float64)[:, None], MG_PER_L_IN_NG_PER_ML / v, np.array([micro["k10_per_h"]])
    )


def run(
    subjects: KernelInput,
    events: EventTable,
    *,
    resolution_h: float,
    samples: int,
    stride: int,
    threshold_ng_ml: float,
    concentration_bins: BinLookup,
    auc_bins: BinLookup,
    concentration: IntArray,
    above: IntArray,
    day_cmax: IntArray,
    day_auc: IntArray,
    trace: FloatArray | None = None,
    day_trace: FloatArray | None = None,
) -> None:
    """Simulate the subjects and add their counts into the given arrays (in place).

    The compiled kernel does not check bounds, so every shape it writes through is checked here first.
    """
    from dosewise.domain.pk.kernel import run_chunks

    rows = -(-samples // stride)
    days = day_cmax.shape[0]
    checks = (
        stride >= 1 and samples >= 1,
        concentration.shape == (rows, concentration.shape[1]) and above.shape == (rows,),
        concentration.shape[1] >= len(concentration_bins[1])
        and day_cmax.shape[1] >= len(concentration_bins[1]),
        day_auc.shape == (days, day_auc.shape[1]) and day_auc.shape[1] >= len(auc_bins[1]),
        bool(np.all((events.sample >= 0) & (events.sample <= samples))),
        bool(np.all((events.kind == EDGE) | (events.kind == DOSE))),
        bool(np.all(np.concatenate((events.before, events.tail)) < len(events.lengths_h))),
        trace is None or trace.shape == (samples, subjects.subjects),
        day_trace is None or day_trace.shape == (days, 2, subjects.subjects),
        subjects.to_ng_ml.shape == subjects.elimination.shape == (subjects.subjects,),
    )
    if not all(checks):
        raise InvalidInput("kernel arrays do not match the grid, the bins or the subjects")
    no_trace = np.empty((0, 0))
    run_chunks(
        subjects.params,
        subjects.to_ng_ml,
        subjects.elimination,
        resolution_h,
        samples,
        events.arrays(),
        stride,
        threshold_ng_ml,
        concentration_bins,
        auc_bins,
        concentration,
        above,
        day_cmax,
        day_auc,
        no_trace if trace is None else trace,
        np.empty((0, 2, 0)) if day_trace is None else day_trace,
    )


@dataclass(frozen=True)
class Trace:
    """Subjects through the kernel: concentration at each grid sample and per-day grid Cmax and AUC,
    one column per subject (a 1-D array each for ``trace``'s one person)."""

    times_h: FloatArray
    concentration_ng_ml: FloatArray
    day_cmax_ng_ml: FloatArray
    day_auc_ng_h_ml: FloatArray


def trace_subjects(subjects: KernelInput, schedule: DoseSchedule, *, resolution_h: float = 0.1) -> Trace:
    """The recurrence for every subject with every sample kept (samples x subjects, days x subjects), for
    checks against the closed-form engine and against the population's streamed counts."""
    samples = schedule.sample_count(resolution_h)
    days = len(schedule.days)
    concentration = np.zeros((samples, subjects.subjects))
    per_day = np.zeros((days, 2, subjects.subjects))
    run(
        subjects,
        event_table(schedule, resolution_h, samples),
        resolution_h=resolution_h,
        samples=samples,
        stride=1,
        threshold_ng_ml=np.inf,
        concentration_bins=NO_BINS,
        auc_bins=NO_BINS,
        concentration=np.zeros((samples, 1), dtype=np.int64),
        above=np.zeros(samples, dtype=np.int64),
        day_cmax=np.zeros((days, 1), dtype=np.int64),
        day_auc=np.zeros((days, 1), dtype=np.int64),
        trace=concentration,
        day_trace=per_day,
    )
    return Trace(
        np.arange(samples, dtype=np.float64) * resolution_h, concentration, per_day[:, 0], per_day[:, 1]
    )


def trace(model: IndividualModel, schedule: DoseSchedule, *, resolution_h: float = 0.1) -> Trace:
    """The recurrence for one person, every sample kept (for checks against the closed-form engine)."""
    traced = trace_subjects(model_input(model), schedule, resolution_h=resolution_h)
    return Trace(
        traced.times_h,
        traced.concentration_ng_ml[:, 0],
        traced.day_cmax_ng_ml[:, 0],
        traced.day_auc_ng_h_ml[:, 0],
    )


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel specialisation; returns the seconds it took."""
    began = time.perf_counter()
    from dosewise.domain.pk import kernel

    params = np.array([[1.6], [0.16]])
    events = EventTable(
        np.array([0, 1, 2], dtype=np.int64),
        np.array([DOSE, DOSE, EDGE], dtype=np.int64),
        np.array([1.0, 1.0, 0.0]),
        np.array([NOTHING, 0, UNIFORM], dtype=np.int64),
        np.array([NOTHING, 0, NOTHING], dtype=np.int64),
        np.array([0.05]),
    )
    counts = np.zeros((2, 1), dtype=np.int64)
    for trace_shape in ((0, 0), (2, 1)):
        kernel.run_chunks(
            params,
            np.ones(1),
            np.array([0.16]),
            0.1,
            2,
            events.arrays(),
            1,
            np.inf,
            NO_BINS,
            NO_BINS,
            counts,
            np.zeros(2, dtype=np.int64),
            counts,
            counts,
            np.zeros(trace_shape),
            np.zeros((trace_shape[0], 2, trace_shape[1])),
        )
    return time.perf_counter() - began
