"""Compiled (numba) kernel: the exact compartment recurrence fused with the streaming population summaries.

Imported only by ``dosewise.domain.pk.recurrence`` inside its functions, so numba (and its compile or
cache load) is paid only by a population run or a test, never at CLI start-up.

On a uniform grid the state of a linear model propagates exactly from one sample to the next by constant
per-subject factors (matrix exponential entries); a dose adds to the gut, and an event between two samples
splits that step in two exact partial steps. All state is scaled to ng/mL of the central volume, so the
central state is the concentration. Subjects are the inner (vectorised) loop and are taken in chunks that
stay in the L1 cache; several uniform steps are applied per pass over a chunk so the state is read and
written once per pass, not once per sample.

Event codes (built by ``recurrence.event_table``): ``kind`` 0 closes the current day and opens the next,
1 adds ``amount`` mg to the gut. ``before`` is the propagation applied before the event and ``tail`` the
one after it: -1 none, -2 one uniform grid step, i >= 0 a partial step of ``lengths[i]`` hours, whose
factors are computed once per chunk (the first ``CACHED`` lengths) or at each use (any further ones).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["run_chunks"]

F = TypeVar("F", bound=Callable[..., Any])

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CACHED = 32  # distinct partial-step lengths whose factors are kept per chunk (a plan has a handful)
CHUNK = 256  # subjects per pass: a chunk's state, factors and counters (about 16 KiB) stay in the L1 cache


def _compiled(function: F) -> F:
    # IEEE semantics (no fastmath): no fused multiply-add or reassociation, so every machine and every
    # split of the work produces the same bits. error_model="numpy" drops Python's zero-division checks.
    # nogil lets Dask's threaded workers run blocks side by side.
    try:
        # The compiled code is cached next to this file (or in NUMBA_CACHE_DIR / the user cache).
        return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(function))
    except RuntimeError:  # no writable cache location anywhere: compile in memory on each run instead
        return cast(F, numba.njit(nogil=True, error_model="numpy")(function))


@_compiled
def _one_factors(ka: float, k: float, h: float) -> tuple[float, float, float]:
    """One compartment over h hours: gut decay, central decay, gut-to-central transfer.

    The transfer ka (e^{-k h} - e^{-ka h}) / (ka - k) is written as ka h e^{-min h} phi(|ka - k| h),
    phi(x) = -expm1(-x) / x, which stays exact when ka and k nearly coincide.
    """
    low = min(ka, k)
    x = abs(ka - k) * h
    phi = 1.0 if x == 0.0 else -math.expm1(-x) / x
    return math.exp(-ka * h), math.exp(-k * h), ka * h * math.exp(-low * h) * phi


@_compiled
def _two_factors(
    ka: float, k12: float, k21: float, alpha: float, beta: float, h: float
) -> tuple[float, float, float, float, float, float, float]:
    """Two compartments over h hours: (gut, gut->central, gut->peripheral, central->central,
    peripheral->central, central->peripheral, peripheral->peripheral), from the eigenvalues alpha, beta."""
    ea, eal, ebe = math.exp(-ka * h), math.exp(-alpha * h), math.exp(-beta * h)
    ra = 1.0 / ((ka - alpha) * (beta - alpha))
    rb = 1.0 / ((ka - beta) * (alpha - beta))
    rk = 1.0 / ((alpha - ka) * (beta - ka))
    gut_central = ka * ((k21 - alpha) * ra * eal + (k21 - beta) * rb * ebe + (k21 - ka) * rk * ea)
    gut_peripheral = k12 * ka * (ra * eal + rb * ebe + rk * ea)
    spread = alpha - beta
    central = ((alpha - k21) * eal + (k21 - beta) * ebe) / spread
    peripheral = ((k21 - beta) * eal + (alpha - k21) * ebe) / spread
    difference = (ebe - eal) / spread
    return ea, gut_central, gut_peripheral, central, k21 * difference, k12 * difference, peripheral


@_compiled
def _factors(params: FloatArray, h: float, out: FloatArray) -> None:
    """Per-subject step factors for h hours into ``out`` (3 rows for one compartment, 7 for two)."""
    if params.shape[0] == 2:
        for j in range(params.shape[1]):
            out[0, j], out[1, j], out[2, j] = _one_factors(params[0, j], params[1, j], h)
    else:
        for j in range(params.shape[1]):
            f = _two_factors(params[0, j], params[2, j], params[3, j], params[4, j], params[5, j], h)
            for row in range(7):
                out[row, j] = f[row]


@_compiled
def _step(state: FloatArray, factors: FloatArray, peak: FloatArray, track: bool) -> None:
    """One step of the recurrence for every subject of the chunk; ``track`` adds the end of the step to
    the running maximum (it is a grid sample; a partial step ends between samples)."""
    if state.shape[0] == 2:
        gut, central = state[0], state[1]
        ea, ek, eg = factors[0], factors[1], factors[2]
        for j in range(gut.shape[0]):
            c = central[j] * ek[j] + gut[j] * eg[j]
            gut[j] = gut[j] * ea[j]
            central[j] = c
    else:
        gut, central, peripheral = state[0], state[1], state[2]
        for j in range(gut.shape[0]):
            g, c, p = gut[j], central[j], peripheral[j]
            central[j] = g * factors[1, j] + c * factors[3, j] + p * factors[4, j]
            peripheral[j] = g * factors[2, j] + c * factors[5, j] + p * factors[6, j]
            gut[j] = g * factors[0, j]
    if track:
        central = state[1]
        for j in range(central.shape[0]):
            peak[j] = max(peak[j], central[j])


@_compiled
def _move(
    state: FloatArray,
    params: FloatArray,
    code: int,
    lengths: FloatArray,
    uniform: FloatArray,
    cache: FloatArray,
    ready: npt.NDArray[np.bool_],
    partial: FloatArray,
    peak: FloatArray,
) -> None:
    """Propagate around an event: -1 nothing, -2 one uniform grid step, i >= 0 an exact partial step of
    ``lengths[i]`` hours (its end is not a grid sample, so the running maximum is left alone)."""
    if code == -2:
        _step(state, uniform, peak, False)
    elif code >= 0:
        if code < cache.shape[0]:
            if not ready[code]:
                _factors(params, lengths[code], cache[code])
                ready[code] = True
            _step(state, cache[code], peak, False)
        else:
            _factors(params, lengths[code], partial)
            _step(state, partial, peak, False)


@_compiled
def _steps_one(state: FloatArray, factors: FloatArray, peak: FloatArray, count: int) -> None:
    """``count`` uniform steps of the one-compartment recurrence with the running maximum, four (then two)
    steps per pass so the state is loaded and stored once per pass; the arithmetic is the single step's."""
    gut, central = state[0], state[1]
    ea, ek, eg = factors[0], factors[1], factors[2]
    size = gut.shape[0]
    done = 0
    while count - done >= 4:
        for j in range(size):
            a, k, q = ea[j], ek[j], eg[j]
            g, c, m = gut[j], central[j], peak[j]
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            gut[j], central[j], peak[j] = g, c, m
        done += 4
    if count - done >= 2:
        for j in range(size):
            a, k, q = ea[j], ek[j], eg[j]
            g, c, m = gut[j], central[j], peak[j]
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            c = c * k + g * q
            g = g * a
            m = max(m, c)
            gut[j], central[j], peak[j] = g, c, m
        done += 2
    if count - done == 1:
        for j in range(size):
            c = central[j] * ek[j] + gut[j] * eg[j]
            gut[j] = gut[j] * ea[j]
            central[j] = c
            peak[j] = max(peak[j], c)


@_compiled
def _bin(value_bits: int, value: float, table: IntArray, upper: FloatArray, shift: int, key0: int) -> int:
    """Histogram bin of a float from its bit pattern: the exponent and top mantissa bits pick a table
    entry (a key spans less than one bin), one comparison with the bin's upper edge settles it.
    Unsigned indices spare numba's negative-index wraparound (the key is clamped to the table)."""
    key = min(max((value_bits >> shift) - key0, 0), table.shape[0] - 1)
    first = int(table[np.uint64(key)])
    return first + 1 if value >= upper[np.uint64(first)] else first


@_compiled
def _count_row(
    central: FloatArray,
    bits: IntArray,
    bins: IntArray,
    table: IntArray,
    upper: FloatArray,
    shift: int,
    key0: int,
    threshold: float,
    counts: IntArray,
) -> int:
    """Add one percentile-grid sample of the chunk to its histogram row; return how many are above.
    Bins are found in a first pass and counted in a second, so the lookups do not wait on the counts."""
    above = 0
    for j in range(central.shape[0]):
        bins[j] = _bin(bits[j], central[j], table, upper, shift, key0)
        above += central[j] > threshold
    for j in range(central.shape[0]):
        counts[np.uint64(bins[j])] += 1
    return above


@_compiled
def _close_day(
    state: FloatArray,
    ledger: FloatArray,
    elimination: FloatArray,
    peak: FloatArray,
    peak_bits: IntArray,
    scratch: FloatArray,
    scratch_bits: IntArray,
    day: int,
    conc_lookup: tuple[IntArray, FloatArray, int, int],
    auc_lookup: tuple[IntArray, FloatArray, int, int],
    day_cmax: IntArray,
    day_auc: IntArray,
    day_trace: FloatArray,
    first: int,
) -> None:
    """Bin each subject's grid maximum and exact AUC for the day, then open the next day.

    AUC by mass balance: what left the body (gut + central [+ peripheral]) during the day was eliminated
    from the central compartment at ``elimination`` per hour, so AUC = (amount at the start + doses -
    amount at the end) / elimination, in the scaled (ng/mL) units the state is kept in.
    """
    record = day < day_cmax.shape[0]
    keep = day_trace.shape[0] > 0 and record
    for j in range(peak.shape[0]):
        mass = state[0, j] + state[1, j]
        if state.shape[0] == 3:
            mass += state[2, j]
        auc = (ledger[j] - mass) / elimination[j]
        if record:
            day_cmax[day, _bin(peak_bits[j], peak[j], *conc_lookup)] += 1
            scratch[0] = auc  # the AUC's bit pattern, read through an int64 view of the same memory
            day_auc[day, _bin(scratch_bits[0], auc, *auc_lookup)] += 1
        if keep:
            day_trace[day, 0, first + j] = peak[j]
            day_trace[day, 1, first + j] = auc
        ledger[j] = mass
        peak[j] = 0.0


@_compiled
def _apply(
    kind: int,
    amount: float,
    state: FloatArray,
    ledger: FloatArray,
    to_ng_ml: FloatArray,
) -> None:
    if kind == 1:
        for j in range(ledger.shape[0]):
            scaled = amount * to_ng_ml[j]
            state[0, j] += scaled
            ledger[j] += scaled


@_compiled
def _keep(trace: FloatArray, sample: int, first: int, central: FloatArray) -> None:
    for j in range(central.shape[0]):
        trace[sample, first + j] = central[j]


@_compiled
def _run_chunk(
    params: FloatArray,
    to_ng_ml: FloatArray,
    elimination: FloatArray,
    first: int,
    resolution_h: float,
    samples: int,
    events: tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray],
    stride: int,
    threshold: float,
    conc_lookup: tuple[IntArray, FloatArray, int, int],
    auc_lookup: tuple[IntArray, FloatArray, int, int],
    concentration: IntArray,
    above: IntArray,
    day_cmax: IntArray,
    day_auc: IntArray,
    trace: FloatArray,
    day_trace: FloatArray,
) -> None:
    size = params.shape[1]
    modes = 2 if params.shape[0] == 2 else 3
    width = 3 if modes == 2 else 7
    state = np.zeros((modes, size))
    uniform = np.empty((width, size))
    partial = np.empty((width, size))
    _factors(params, resolution_h, uniform)
    peak = np.zeros(size)
    ledger = np.zeros(size)
    central = state[1]
    bits = central.view(np.int64)
    bins = np.empty(size, dtype=np.int64)
    peak_bits = peak.view(np.int64)
    scratch = np.zeros(1)
    scratch_bits = scratch.view(np.int64)
    sample_of, kind, amount, before, tail, lengths = events
    cache = np.empty((min(lengths.shape[0], CACHED), width, size))
    ready = np.zeros(cache.shape[0], dtype=np.bool_)
    table, upper, shift, key0 = conc_lookup
    tracing = trace.shape[0] > 0
    day = 0
    e = 0
    s = 0
    while s <= samples:
        if e < sample_of.shape[0] and sample_of[e] == s:
            # Events before this sample, in time order, with exact partial steps around each one.
            while e < sample_of.shape[0] and sample_of[e] == s:
                _move(state, params, before[e], lengths, uniform, cache, ready, partial, peak)
                if kind[e] == 0:
                    _close_day(
                        state,
                        ledger,
                        elimination,
                        peak,
                        peak_bits,
                        scratch,
                        scratch_bits,
                        day,
                        conc_lookup,
                        auc_lookup,
                        day_cmax,
                        day_auc,
                        day_trace,
                        first,
                    )
                    day += 1
                else:
                    _apply(kind[e], amount[e], state, ledger, to_ng_ml)
                _move(state, params, tail[e], lengths, uniform, cache, ready, partial, peak)
                e += 1
            if s == samples:
                break
            for j in range(size):
                peak[j] = max(peak[j], central[j])
            if tracing:
                _keep(trace, s, first, central)
            end = s
        else:
            if s == samples:
                break
            # A run of uniform steps up to the next event or percentile-grid sample (inclusive).
            stop = samples if e >= sample_of.shape[0] else min(samples, sample_of[e])
            end = min(stop - 1, ((s + stride - 1) // stride) * stride)
            if tracing or modes == 3:
                for at in range(s, end + 1):
                    _step(state, uniform, peak, True)
                    if tracing:
                        _keep(trace, at, first, central)
            else:
                _steps_one(state, uniform, peak, end - s + 1)
        if end % stride == 0:
            above[end // stride] += _count_row(
                central, bits, bins, table, upper, shift, key0, threshold, concentration[end // stride]
            )
        s = end + 1


@_compiled
def run_chunks(
    params: FloatArray,
    to_ng_ml: FloatArray,
    elimination: FloatArray,
    resolution_h: float,
    samples: int,
    events: tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray],
    stride: int,
    threshold: float,
    conc_lookup: tuple[IntArray, FloatArray, int, int],
    auc_lookup: tuple[IntArray, FloatArray, int, int],
    concentration: IntArray,
    above: IntArray,
    day_cmax: IntArray,
    day_auc: IntArray,
    trace: FloatArray,
    day_trace: FloatArray,
) -> None:
    """Simulate every subject (columns of ``params``) and add its counts into the summary arrays.

    ``params`` rows are ka, k (one compartment) or ka, k10, k12, k21, alpha, beta (two), per hour;
    ``trace`` (samples x subjects) and ``day_trace`` (days x 2 x subjects: grid Cmax, AUC) are filled when
    they are not empty (tests and single-person checks); populations pass empty arrays.
    """
    total = params.shape[1]
    for first in range(0, total, CHUNK):
        last = min(total, first + CHUNK)
        chunk = np.empty((params.shape[0], last - first))
        for row in range(params.shape[0]):
            for j in range(first, last):
                chunk[row, j - first] = params[row, j]
        _run_chunk(
            chunk,
            to_ng_ml[first:last],
            elimination[first:last],
            first,
            resolution_h,
            samples,
            events,
            stride,
            threshold,
            conc_lookup,
            auc_lookup,
            concentration,
            above,
            day_cmax,
            day_auc,
            trace,
            day_trace,
        )
