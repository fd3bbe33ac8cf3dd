"""Virtual populations: log-normal between-subject variability, a kidney-function spread, and summaries
that are merged as integer counts, so memory never grows with subjects x samples and any split of the
work (one process, many, a Dask cluster) gives bit-identical results for a seed.

Subjects come in fixed blocks of ``block_size``. Block ``b`` draws its random numbers from
``numpy.random.default_rng([seed, b])`` and nothing else, so a subject's parameters depend only on the seed
and its index. Each block goes through the fused kernel (``recurrence`` / ``kernel``): the exact
compartment recurrence on the grid, reduced as it goes to counts: a log-spaced histogram of concentrations
per point of the percentile grid (percentiles are read from it), the number of subjects above a threshold
at the same points, and per-day histograms of grid Cmax and exact AUC. No subjects x samples array exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk.parameters import ParameterSet, SimulationRefused
from dosewise.domain.pk.recurrence import BinLookup, event_table, one_compartment_input, run
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
        """Bin of each value against ``edges()``: 0 below the first edge (zero included), i for
        edges[i - 1] <= value < edges[i], count + 1 from the last edge up (and NaN)."""
        return np.searchsorted(self.edges(), values, side="right").astype(np.int64)

    def lookup(self) -> BinLookup:
        """The same binning as ``index`` for the compiled kernel, without a logarithm.

        A positive float64's bits, shifted right, are its exponent followed by its top mantissa bits;
        with enough mantissa bits one key spans a ratio under half a bin, so it meets at most one edge:
        ``table[key]`` is the bin of the key's smallest value and one comparison with that bin's upper
        edge gives the bin of any value in the key (clamped keys cover zero, negatives, inf and NaN).
        """
        edges = self.edges()
        mantissa_bits = 1
        while 2.0 ** (1.0 / 2**mantissa_bits) >= math.sqrt(self.width_ratio):
            mantissa_bits += 1
        shift = 52 - mantissa_bits
        # 2**low_exponent < edges[0] strictly, so the clamped first key holds only underflow values.
        low_exponent = math.frexp(float(edges[0]))[1] - 2
        high_exponent = math.frexp(float(edges[-1]))[1]  # 2**high_exponent > edges[-1]
        key0 = int(np.array([2.0**low_exponent]).view(np.int64)[0]) >> shift
        keys = (high_exponent - low_exponent) * 2**mantissa_bits + 1
        starts = ((np.arange(keys, dtype=np.int64) + key0) << shift).view(np.float64)
        table = np.searchsorted(edges, starts, side="right").astype(np.int64)
        if np.any(np.diff(table) > 1):
            raise InvalidInput("histogram bins are too narrow for the lookup table")
        # The overflow bin has no upper edge: NaN compares false, so nothing moves past it (not even inf).
        return table, np.append(edges, np.nan), shift, key0

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
    # No clinical default here: the service passes the top of the knowledge base's therapeutic band.
    threshold_ng_ml: float = math.inf
    block_size: int = 1024
    percentile_every_h: float = 1.0
    concentration_bins: LogBins = CONCENTRATION_BINS
    auc_bins: LogBins = AUC_BINS

    def __post_init__(self) -> None:
        if self.subjects < 1:
            raise InvalidInput("a population needs at least one subject")
        if self.block_size < 1:
            raise InvalidInput("block size must be positive")
        self.schedule.sample_count(self.resolution_h)  # refuses a resolution outside (0, 24] hours
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
        return self.schedule.sample_count(self.resolution_h)

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
    factor = ps.renal.factor(crcl)
    var = ps.variability
    ka = ps.ka.value * np.exp(var.omega_ka * eta[0])
    cl = ps.cl_f.value * factor * np.exp(var.omega_cl * eta[1])
    v = ps.v_f.value * np.exp(var.omega_v * eta[2])
    return ka, cl, v, crcl


def simulate_blocks(
    spec: PopulationSpec,
    blocks: Iterable[int],
    *,
    on_block: Callable[[int], None] | None = None,
) -> PopulationSummary:
    """Simulate the given blocks of subjects and return their merged counts (pure; no I/O)."""
    summary = PopulationSummary.empty(spec)
    events = event_table(spec.schedule, spec.resolution_h, spec.sample_count)
    concentration_bins = spec.concentration_bins.lookup()
    auc_bins = spec.auc_bins.lookup()
    done: list[int] = []
    for block in blocks:
        if not 0 <= block < spec.blocks:
            raise InvalidInput(f"block {block} is outside 0-{spec.blocks - 1}")
        ka, cl, v, _ = _draw(spec, block)
        run(
            one_compartment_input(ka, cl, v),
            events,
            resolution_h=spec.resolution_h,
            samples=spec.sample_count,
            stride=spec.percentile_stride,
            threshold_ng_ml=spec.threshold_ng_ml,
            concentration_bins=concentration_bins,
            auc_bins=auc_bins,
            concentration=summary.concentration,
            above=summary.above,
            day_cmax=summary.day_cmax,
            day_auc=summary.day_auc,
        )
        summary.subjects += len(ka)
        done.append(block)
        if on_block is not None:
            on_block(block)
    summary.blocks = tuple(sorted(done))
    return summary
