"""Virtual populations: log-normal between-subject variability, a kidney-function spread, and summaries
that are merged as integer counts, so memory never grows with subjects x samples and any split of the
work (one process, many, a Dask cluster) gives bit-identical results for a seed.

Subjects come in fixed blocks of ``block_size``. Block ``b`` draws its random numbers from
``numpy.random.default_rng([seed, b])`` and nothing else, so a subject's parameters depend only on the seed
and its index. Each block is simulated exactly (the one-compartment solution, in the form
``t exp(-min(k, ka) t) phi(|ka - k| t)`` that stays finite when ka and k nearly coincide) and reduced
at once to counts: a log-spaced histogram of concentrations per sample time (percentiles are read from
it), the number of subjects above a threshold per sample time, and per-day histograms of Cmax and AUC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk.engine import MG_PER_L_IN_NG_PER_ML
from dosewise.domain.pk.parameters import ParameterSet, SimulationRefused
from dosewise.domain.pk.schedule import DoseSchedule

__all__ = [
    "LogBins",
    "PopulationSpec",
    "PopulationSummary",
    "block_ranges",
    "kidney_list",
    "kidney_range",
    "simulate_blocks",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LogBins:
    """Log-spaced bins from ``low`` to ``high`` with ``per_decade`` bins a decade, plus an underflow bin
    (index 0, which holds zero) and an overflow bin (last index)."""

    low: float
    high: float
    per_decade: int

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high or self.per_decade < 1:
            raise InvalidInput("histogram bins need 0 < low < high and at least one bin a decade")

    @property
    def count(self) -> int:
        return math.ceil(math.log10(self.high / self.low) * self.per_decade)

    @property
    def width_ratio(self) -> float:
        return float(10.0 ** (1.0 / self.per_decade))

    def edges(self) -> FloatArray:
        return self.low * self.width_ratio ** np.arange(self.count + 1, dtype=np.float64)

    def index(self, values: FloatArray) -> IntArray:
        """Bin of each value (0 = underflow, including zero; count + 1 = overflow)."""
        scale = self.per_decade / math.log(10.0)
        work = np.maximum(values, self.low * 0.5)  # keeps log() finite; anything below low is underflow
        np.log(work, out=work)
        work -= math.log(self.low)
        work *= scale
        np.clip(work, -1.0, float(self.count), out=work)
        keys = work.astype(np.int64)  # truncation is floor here: values below 0 only reach -1 via clip
        keys[work < 0] = -1
        keys += 1
        return keys

    def quantiles(self, counts: IntArray, qs: Sequence[float]) -> FloatArray:
        """Quantiles per row of ``counts``; geometric interpolation inside the bin (error < one bin).
        Underflow reads as 0 and overflow as ``inf``."""
        rows = np.atleast_2d(counts)
        total = rows.sum(axis=1)
        cumulative = np.cumsum(rows, axis=1)
        edges = self.edges()
        out = np.empty((len(qs), rows.shape[0]))
        for i, q in enumerate(qs):
            rank = q / 100.0 * np.maximum(total, 1)
            position = np.minimum((cumulative < rank[:, None]).sum(axis=1), rows.shape[1] - 1)
            before = np.where(position > 0, cumulative[np.arange(len(rows)), position - 1], 0)
            inside = rows[np.arange(len(rows)), position]
            share = np.clip((rank - before) / np.maximum(inside, 1), 0.0, 1.0)
            bin_index = np.clip(position - 1, 0, self.count - 1)
            value = edges[bin_index] * self.width_ratio**share
            value = np.where(position == 0, 0.0, value)
            value = np.where(position == rows.shape[1] - 1, np.inf, value)
            out[i] = np.where(total > 0, value, np.nan)
        return out


CONCENTRATION_BINS = LogBins(0.01, 1e5, 100)
AUC_BINS = LogBins(1.0, 1e7, 100)


@dataclass(frozen=True)
class KidneySpread:
    """CrCl (mL/min) per subject: uniform on [low, high] drawn from the block's generator, or a list
    given to subjects in turn (subject i gets values[i % len(values)])."""

    low: float = math.nan
    high: float = math.nan
    values: tuple[float, ...] = ()

    def describe(self) -> str:
        if self.values:
            return f"list of {len(self.values)} CrCl values, assigned in turn"
        return f"uniform {self.low:g}-{self.high:g} mL/min"


def kidney_range(low: float, high: float) -> KidneySpread:
    if not 0 <= low <= high:
        raise InvalidInput("a CrCl range needs 0 <= low <= high")
    return KidneySpread(low=low, high=high)


def kidney_list(values: Iterable[float]) -> KidneySpread:
    chosen = tuple(float(v) for v in values)
    if not chosen or any(v < 0 for v in chosen):
        raise InvalidInput("a CrCl list needs at least one value, none negative")
    return KidneySpread(values=chosen)


@dataclass(frozen=True)
class PopulationSpec:
    parameter_set: ParameterSet
    schedule: DoseSchedule
    subjects: int
    seed: int
    resolution_h: float = 0.1
    kidney: KidneySpread | None = None
    threshold_ng_ml: float = 400.0
    block_size: int = 1024
    percentile_every_h: float = 1.0
    concentration_bins: LogBins = CONCENTRATION_BINS
    auc_bins: LogBins = AUC_BINS

    def __post_init__(self) -> None:
        if self.subjects < 1:
            raise InvalidInput("a population needs at least one subject")
        if self.block_size < 1:
            raise InvalidInput("block size must be positive")
        if not 0 < self.resolution_h <= 24:
            raise InvalidInput("resolution must be between 0 and 24 hours")
        if self.parameter_set.structure != "one_compartment":
            raise SimulationRefused(
                f"{self.parameter_set.id}: populations use the one-compartment model only",
                hint="use --model simon2018 for a population",
            )
        if self.parameter_set.variability is None:
            raise SimulationRefused(
                f"{self.parameter_set.id} publishes no between-subject variability to draw a population from"
            )

    @property
    def blocks(self) -> int:
        return math.ceil(self.subjects / self.block_size)

    @property
    def sample_count(self) -> int:
        return max(1, math.ceil(self.schedule.horizon_h / self.resolution_h - 1e-9))

    def times_h(self) -> FloatArray:
        return np.arange(self.sample_count, dtype=np.float64) * self.resolution_h

    @property
    def percentile_stride(self) -> int:
        """Every how many samples the concentration histogram is filled (the percentile grid)."""
        return max(1, round(self.percentile_every_h / self.resolution_h))

    def percentile_times_h(self) -> FloatArray:
        return self.times_h()[:: self.percentile_stride]


@dataclass
class PopulationSummary:
    """Integer counts only: merging two summaries is exact and order-free."""

    subjects: int
    concentration: IntArray  # (samples on the percentile grid, bins + 2)
    above: IntArray  # (samples on the percentile grid,) subjects above the threshold
    day_cmax: IntArray  # (days, bins + 2)
    day_auc: IntArray  # (days, auc bins + 2)
    blocks: tuple[int, ...] = field(default=())

    @classmethod
    def empty(cls, spec: PopulationSpec) -> PopulationSummary:
        days = len(spec.schedule.days)
        width = spec.concentration_bins.count + 2
        return cls(
            0,
            np.zeros((len(spec.percentile_times_h()), width), dtype=np.int64),
            np.zeros(len(spec.percentile_times_h()), dtype=np.int64),
            np.zeros((days, width), dtype=np.int64),
            np.zeros((days, spec.auc_bins.count + 2), dtype=np.int64),
        )

    def merge(self, other: PopulationSummary) -> PopulationSummary:
        overlap = set(self.blocks) & set(other.blocks)
        if overlap:
            raise InvalidInput(f"blocks {sorted(overlap)} were counted twice")
        return PopulationSummary(
            self.subjects + other.subjects,
            self.concentration + other.concentration,
            self.above + other.above,
            self.day_cmax + other.day_cmax,
            self.day_auc + other.day_auc,
            tuple(sorted(self.blocks + other.blocks)),
        )


def block_ranges(blocks: int, parts: int) -> list[range]:
    """Split block indices into ``parts`` contiguous ranges (some may be empty)."""
    parts = max(1, parts)
    bounds = [round(blocks * i / parts) for i in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def _draw(spec: PopulationSpec, block: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """ka (1/h), CL/F (L/h), V/F (L) and CrCl for one block, from that block's own generator."""
    ps = spec.parameter_set
    assert ps.variability is not None
    first = block * spec.block_size
    size = min(spec.block_size, spec.subjects - first)
    rng = np.random.default_rng([spec.seed, block])
    eta = rng.standard_normal((3, spec.block_size))[:, :size]
    kidney = spec.kidney
    if kidney is None:
        crcl = np.full(size, ps.renal.reference_crcl_ml_min.value)
    elif kidney.values:
        values = np.asarray(kidney.values)
        crcl = values[(first + np.arange(size)) % len(values)]
    else:
        crcl = rng.uniform(kidney.low, kidney.high, spec.block_size)[:size]
    fe = ps.renal.renal_fraction.value
    factor = fe * crcl / ps.renal.reference_crcl_ml_min.value + (1.0 - fe)
    var = ps.variability
    ka = ps.ka.value * np.exp(var.omega_ka * eta[0])
    cl = ps.cl_f.value * factor * np.exp(var.omega_cl * eta[1])
    v = ps.v_f.value * np.exp(var.omega_v * eta[2])
    return ka, cl, v, crcl


def _absorbed(ka: FloatArray, k: FloatArray, t: FloatArray) -> FloatArray:
    """(exp(-k t) - exp(-ka t)) / (ka - k), finite for ka = k: t exp(-m t) phi(d t), phi(x) = -expm1(-x)/x."""
    m = np.minimum(ka, k)
    x = np.abs(ka - k) * t
    safe = np.where(x > 0, x, 1.0)
    phi = np.where(x > 0, -np.expm1(-safe) / safe, 1.0)
    return t * np.exp(-m * t) * phi


def _breakpoints(spec: PopulationSpec) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Event times (doses and day edges, merged), the dose given at each, and the day edges."""
    schedule = spec.schedule
    edges = np.array([w.start_h for w in schedule.days] + [schedule.horizon_h], dtype=np.float64)
    edges = np.minimum(edges, schedule.horizon_h)
    times = np.asarray(schedule.times_h, dtype=np.float64)
    amounts = np.asarray(schedule.amounts_mg, dtype=np.float64)
    keep = times < schedule.horizon_h
    events = np.unique(np.concatenate((times[keep], edges)))
    dose = np.zeros(len(events))
    np.add.at(dose, np.searchsorted(events, times[keep]), amounts[keep])
    return events, dose, edges


def simulate_blocks(
    spec: PopulationSpec,
    blocks: Iterable[int],
    *,
    on_block: Callable[[int], None] | None = None,
) -> PopulationSummary:
    """Simulate the given blocks of subjects and return their merged counts (pure; no I/O)."""
    summary = PopulationSummary.empty(spec)
    events, dose, edges = _breakpoints(spec)
    grid = spec.times_h()
    first_sample = np.searchsorted(grid, events - 1e-9 * spec.resolution_h, side="left")
    bins = spec.concentration_bins
    width = bins.count + 2
    done: list[int] = []
    for block in blocks:
        if not 0 <= block < spec.blocks:
            raise InvalidInput(f"block {block} is outside 0-{spec.blocks - 1}")
        _simulate_block(spec, block, summary, events, dose, edges, first_sample, grid, width)
        done.append(block)
        if on_block is not None:
            on_block(block)
    summary.blocks = tuple(sorted(done))
    return summary


def _simulate_block(
    spec: PopulationSpec,
    block: int,
    summary: PopulationSummary,
    events: FloatArray,
    dose: FloatArray,
    edges: FloatArray,
    first_sample: npt.NDArray[np.intp],
    grid: FloatArray,
    width: int,
) -> None:
    ka, cl, v, _ = _draw(spec, block)
    k = cl / v
    to_ng_ml = MG_PER_L_IN_NG_PER_ML / v
    size = len(ka)
    gut = np.zeros(size)
    central = np.zeros(size)
    day = 0
    day_max = np.zeros(size)
    day_auc = np.zeros(size)
    tables: dict[float, tuple[FloatArray, FloatArray]] = {}
    bins = spec.concentration_bins
    stride = spec.percentile_stride
    longest = int(np.max(np.diff(first_sample))) if len(first_sample) > 1 else 1
    buffer = np.empty((max(longest, 1), size))
    scratch = np.empty_like(buffer)
    for i, start in enumerate(events[:-1]):
        end = events[i + 1]
        if start >= edges[day + 1] - 1e-12:
            _close_day(spec, summary, day, day_max, day_auc)
            day += 1
            day_max[:] = 0.0
            day_auc[:] = 0.0
        gut += dose[i]
        s0, s1 = first_sample[i], first_sample[i + 1]
        if s1 > s0:
            phase = round(float(grid[s0] - start), 9)
            length = s1 - s0
            cached = tables.get(phase)
            if cached is None or len(cached[0]) < length:
                offsets = phase + np.arange(max(length, 1), dtype=np.float64)[:, None] * spec.resolution_h
                cached = (np.exp(-k * offsets), ka * _absorbed(ka, k, offsets))
                tables[phase] = cached
            block_conc = np.multiply(cached[0][:length], central * to_ng_ml, out=buffer[:length])
            block_conc += np.multiply(cached[1][:length], gut * to_ng_ml, out=scratch[:length])
            np.maximum(day_max, block_conc.max(axis=0), out=day_max)
            skip = -s0 % stride
            if skip < length:
                rows = block_conc[skip::stride]
                r0 = (s0 + skip) // stride
                summary.above[r0 : r0 + len(rows)] += np.count_nonzero(rows > spec.threshold_ng_ml, axis=1)
                keys = bins.index(rows) + (np.arange(len(rows), dtype=np.int64) * width)[:, None]
                summary.concentration[r0 : r0 + len(rows)] += np.bincount(
                    keys.ravel(), minlength=len(rows) * width
                ).reshape(len(rows), width)
        gap = end - start
        total_before = gut + central
        central = central * np.exp(-k * gap) + gut * ka * _absorbed(ka, k, np.full(size, gap))
        gut = gut * np.exp(-ka * gap)
        # Mass balance: what left gut + central in the interval was eliminated, so AUC = loss / CL.
        day_auc += (total_before - gut - central) / cl * MG_PER_L_IN_NG_PER_ML
    _close_day(spec, summary, day, day_max, day_auc)
    summary.subjects += size


def _close_day(
    spec: PopulationSpec, summary: PopulationSummary, day: int, day_max: FloatArray, day_auc: FloatArray
) -> None:
    if day >= len(summary.day_cmax):
        return
    summary.day_cmax[day] += np.bincount(
        spec.concentration_bins.index(day_max), minlength=summary.day_cmax.shape[1]
    )
    summary.day_auc[day] += np.bincount(spec.auc_bins.index(day_auc), minlength=summary.day_auc.shape[1])
