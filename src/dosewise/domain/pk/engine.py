"""One person's concentrations by analytic superposition of single-dose responses.

After a unit dose the plasma concentration is a sum of exponentials, sum_m c_m exp(-lambda_m t). Summed
over doses, the concentration is sum_m c_m S_m(t) with S_m(t) = sum over past doses of D_i
exp(-lambda_m (t - t_i)): each mode's running sum decays between doses and jumps by the dose at a dose.
That is exact (no time stepping), costs O(doses + samples) instead of O(doses x samples), and gives the
AUC in closed form: the integral of C up to t is D_cum(t)/CL - sum_m (c_m / lambda_m) S_m(t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk.parameters import IndividualModel
from dosewise.domain.pk.schedule import DoseSchedule, RepeatingDay

__all__ = [
    "MG_PER_L_IN_NG_PER_ML",
    "DayMetrics",
    "SimulationResult",
    "SteadyState",
    "Superposition",
    "exposure_ratio",
    "simulate",
    "steady_state",
]

FloatArray = npt.NDArray[np.float64]

# 1 mg/L = 1,000,000 ng / 1000 mL = 1000 ng/mL. Doses are mg and volumes L, so the model's native unit is
# mg/L; this constant is the only place it becomes ng/mL.
MG_PER_L_IN_NG_PER_ML = 1000.0

_NEWTON_STEPS = 5
_PEAK_PROBES = 24
_BLOCK = 256
# Where each dose interval is probed for its peak before Newton polishes it (fractions of the interval).
_PROBE_FRACTIONS = np.concatenate(([0.0], np.geomspace(1e-4, 1.0, _PEAK_PROBES - 1)))


class Superposition:
    """Running per-mode sums after each dose, optionally on top of a state carried in at ``t0``."""

    def __init__(
        self,
        model: IndividualModel,
        times_h: npt.ArrayLike,
        amounts_mg: npt.ArrayLike,
        *,
        carried: FloatArray | None = None,
        t0: float = 0.0,
    ) -> None:
        self.rates = np.asarray(model.rates, dtype=np.float64)
        self.coefficients = np.asarray(model.coefficients, dtype=np.float64)
        self.cl = model.cl_l_per_h
        times = np.asarray(times_h, dtype=np.float64)
        amounts = np.asarray(amounts_mg, dtype=np.float64)
        # A carried state is a pseudo-dose at t0 whose modes hold arbitrary amounts (steady state).
        if carried is not None:
            times = np.concatenate(([t0], times))
            amounts = np.concatenate(([0.0], amounts))
        self.times = times
        self.amounts = amounts
        self.cumulative = np.cumsum(amounts)
        self.after = self._running_sums(carried)
        self.carried_auc = 0.0 if carried is None else float(np.dot(self.coefficients / self.rates, carried))

    def _running_sums(self, carried: FloatArray | None) -> FloatArray:
        """S_m just after each dose, in blocks so memory stays O(block^2) for long histories."""
        count, modes = len(self.times), len(self.rates)
        after = np.empty((count, modes))
        state = np.zeros(modes) if carried is None else np.asarray(carried, dtype=np.float64)
        previous = self.times[0] if count else 0.0
        for first in range(0, count, _BLOCK):
            times = self.times[first : first + _BLOCK]
            amounts = self.amounts[first : first + _BLOCK]
            gaps = times[:, None] - times[None, :]
            lower = np.tril(np.ones_like(gaps, dtype=bool))
            decay = np.exp(-self.rates[:, None, None] * np.where(lower, gaps, 0.0)) * lower
            block = np.einsum("mji,i->jm", decay, amounts)
            block += state[None, :] * np.exp(-np.outer(times - previous, self.rates))
            after[first : first + len(times)] = block
            state, previous = block[-1], times[-1]
        return after

    def _last(self, t: FloatArray) -> npt.NDArray[np.intp]:
        return np.searchsorted(self.times, t, side="right") - 1

    def modes(self, t: npt.ArrayLike) -> FloatArray:
        """S_m(t) for each time (rows) and mode (columns)."""
        times = np.asarray(t, dtype=np.float64)
        last = self._last(times)
        valid = last >= 0
        safe = np.where(valid, last, 0)
        elapsed = np.where(valid, times - self.times[safe], 0.0)
        sums: FloatArray = self.after[safe] * np.exp(-np.outer(elapsed, self.rates))
        sums[~valid] = 0.0
        return sums

    def concentration(self, t: npt.ArrayLike) -> FloatArray:
        """Plasma concentration in ng/mL."""
        # Modes cancel exactly at a dose instant; clip the rounding residue (about 1e-17) at zero.
        return np.maximum(self.modes(t) @ self.coefficients, 0.0) * MG_PER_L_IN_NG_PER_ML

    def cumulative_auc(self, t: npt.ArrayLike) -> FloatArray:
        """Integral of C from the first dose to t, in ng*h/mL (closed form, no quadrature)."""
        times = np.asarray(t, dtype=np.float64)
        last = self._last(times)
        dosed = np.where(last >= 0, self.cumulative[np.maximum(last, 0)], 0.0)
        carried = np.where(last >= 0, self.carried_auc, 0.0)
        remaining = self.modes(times) @ (self.coefficients / self.rates)
        return (dosed / self.cl + carried - remaining) * MG_PER_L_IN_NG_PER_ML

    def interval_peaks(self, end_h: float) -> tuple[FloatArray, FloatArray]:
        """The highest concentration after each dose and before the next (time, ng/mL), refined exactly.

        Each interval is probed at a few log-spaced points, then Newton's method on dC/dt = 0 polishes
        the best probe; the result is clipped to the interval so a peak never leaks across a dose.
        """
        if not len(self.times):
            return np.empty(0), np.empty(0)
        starts = self.times
        ends = np.append(self.times[1:], max(end_h, self.times[-1]))
        lengths = np.maximum(ends - starts, 0.0)
        probes = lengths[:, None] * _PROBE_FRACTIONS[None, :]
        weights = self.after * self.coefficients  # (intervals, modes)
        values = np.einsum("im,ipm->ip", weights, np.exp(-probes[:, :, None] * self.rates))
        best = probes[np.arange(len(starts)), np.argmax(values, axis=1)]
        u = best.copy()
        squared = self.rates**2
        for _ in range(_NEWTON_STEPS):
            decay = np.exp(-u[:, None] * self.rates) * weights
            slope = -(decay @ self.rates)
            curvature = np.minimum(decay @ squared, -1e-300)
            step = slope / curvature
            u = np.minimum(np.maximum(u - step, 0.0), lengths)
        refined = np.einsum("im,im->i", weights, np.exp(-u[:, None] * self.rates))
        probed = np.max(values, axis=1)
        use = refined >= probed
        times = np.where(use, starts + u, starts + best)
        return times, np.where(use, refined, probed) * MG_PER_L_IN_NG_PER_ML


@dataclass(frozen=True)
class DayMetrics:
    day: date
    start_h: float
    end_h: float
    dose_mg: float
    cmax_ng_ml: float
    cmax_at_h: float
    cmin_ng_ml: float
    auc_ng_h_ml: float
    hours_in_band: float
    hours_above_band: float


@dataclass(frozen=True)
class SteadyState:
    """The final step repeated for ever (period 24 h), and how long it takes to get there from zero."""

    cmax_ng_ml: float
    cmin_ng_ml: float
    cavg_ng_ml: float
    auc_24h_ng_h_ml: float
    hours_to_90_percent: float
    reached_on: date | None


@dataclass(frozen=True)
class SimulationResult:
    model: IndividualModel
    schedule: DoseSchedule
    resolution_h: float
    times_h: FloatArray
    concentration_ng_ml: FloatArray
    days: tuple[DayMetrics, ...]
    cmax_ng_ml: float
    cmax_at_h: float
    tmax_h: float
    auc_ng_h_ml: float
    auc_inf_ng_h_ml: float
    band_ng_ml: tuple[float, float] | None
    hours_in_band: float
    hours_above_band: float
    steady: SteadyState | None


def _band_hours(values: FloatArray, band: tuple[float, float] | None, step: float) -> tuple[float, float]:
    if band is None:
        return math.nan, math.nan
    low, high = band
    inside = np.count_nonzero((values >= low) & (values <= high))
    above = np.count_nonzero(values > high)
    return float(inside) * step, float(above) * step


def simulate(
    model: IndividualModel,
    schedule: DoseSchedule,
    *,
    resolution_h: float = 0.1,
    band_ng_ml: tuple[float, float] | None = None,
) -> SimulationResult:
    """Concentrations on a grid of ``resolution_h`` hours, per-day figures and, if the plan goes on,
    steady state. Time in and above the band counts each sample as ``resolution_h`` hours."""
    grid = np.arange(schedule.sample_count(resolution_h), dtype=np.float64) * resolution_h
    system = Superposition(model, schedule.times_h, schedule.amounts_mg)
    conc = system.concentration(grid)
    peak_times, peak_values = system.interval_peaks(schedule.horizon_h)
    dose_times = np.asarray(schedule.times_h, dtype=np.float64)
    days = _day_metrics(system, schedule, grid, conc, (peak_times, peak_values), band_ng_ml, resolution_h)
    all_t = np.concatenate((grid, peak_times))
    all_c = np.concatenate((conc, peak_values))
    top = int(np.argmax(all_c))
    cmax_at = float(all_t[top])
    preceding = dose_times[dose_times <= cmax_at + 1e-12]
    tmax = cmax_at - float(preceding[-1]) if len(preceding) else math.nan
    inside, above = _band_hours(conc, band_ng_ml, resolution_h)
    total_auc = system.cumulative_auc(np.array([schedule.horizon_h]))[0]
    auc_inf = schedule.total_mg / model.cl_l_per_h * MG_PER_L_IN_NG_PER_ML
    steady = None
    if schedule.repeating is not None:
        steady = steady_state(model, schedule.repeating, resolution_h=resolution_h, days=tuple(days))
    return SimulationResult(
        model=model,
        schedule=schedule,
        resolution_h=resolution_h,
        times_h=grid,
        concentration_ng_ml=conc,
        days=tuple(days),
        cmax_ng_ml=float(all_c[top]),
        cmax_at_h=cmax_at,
        tmax_h=tmax,
        auc_ng_h_ml=float(total_auc),
        auc_inf_ng_h_ml=auc_inf,
        band_ng_ml=band_ng_ml,
        hours_in_band=inside,
        hours_above_band=above,
        steady=steady,
    )


def _first_per_day(
    values: FloatArray, target: FloatArray, day: npt.NDArray[np.intp], days: int
) -> FloatArray:
    """Index of the first element of each day equal to that day's target (values sorted by day)."""
    hits = np.flatnonzero(values == target[day])
    first = np.full(days, -1, dtype=np.intp)
    first[day[hits][::-1]] = hits[::-1]
    return first  # type: ignore[return-value]


def _day_metrics(
    system: Superposition,
    schedule: DoseSchedule,
    grid: FloatArray,
    conc: FloatArray,
    peaks: tuple[FloatArray, FloatArray],
    band: tuple[float, float] | None,
    step: float,
) -> tuple[DayMetrics, ...]:
    """Per calendar day: Cmax (grid and exact interval peaks), Cmin (grid, dose instants, day edges),
    exact AUC, dose taken and hours in and above the band, all without a Python loop over samples."""
    windows = schedule.days
    count = len(windows)
    edges = np.minimum(
        np.array([w.start_h for w in windows] + [windows[-1].end_h], dtype=np.float64), schedule.horizon_h
    )
    edge_conc = system.concentration(edges)
    edge_auc = system.cumulative_auc(edges)
    dose_times = np.asarray(schedule.times_h, dtype=np.float64)
    amounts = np.asarray(schedule.amounts_mg, dtype=np.float64)
    trough_values = system.concentration(dose_times)

    def day_of(times: FloatArray) -> npt.NDArray[np.intp]:
        return np.clip(np.searchsorted(edges, times, side="right") - 1, 0, count - 1)

    grid_day = day_of(grid)
    peak_times, peak_values = peaks
    peak_day = day_of(peak_times)
    dose_day = day_of(dose_times)
    cmax = np.full(count, -np.inf)
    np.maximum.at(cmax, grid_day, conc)
    peak_best = np.full(count, -np.inf)
    np.maximum.at(peak_best, peak_day, peak_values)
    use_peak = peak_best > cmax
    grid_first = _first_per_day(conc, cmax, grid_day, count)
    peak_first = _first_per_day(peak_values, peak_best, peak_day, count)
    cmax_at = np.where(use_peak, peak_times[np.maximum(peak_first, 0)], grid[np.maximum(grid_first, 0)])
    cmax = np.maximum(cmax, peak_best)
    cmin = np.minimum(edge_conc[:-1], edge_conc[1:])
    np.minimum.at(cmin, grid_day, conc)
    np.minimum.at(cmin, dose_day, trough_values)
    dose = np.zeros(count)
    np.add.at(dose, dose_day, amounts)
    if band is None:
        inside = above = np.full(count, math.nan)
    else:
        inside = np.bincount(grid_day, weights=(conc >= band[0]) & (conc <= band[1]), minlength=count) * step
        above = np.bincount(grid_day, weights=conc > band[1], minlength=count) * step
    auc = np.diff(edge_auc)
    return tuple(
        DayMetrics(
            day=window.day,
            start_h=float(edges[i]),
            end_h=float(edges[i + 1]),
            dose_mg=float(dose[i]),
            cmax_ng_ml=float(cmax[i]),
            cmax_at_h=float(cmax_at[i]),
            cmin_ng_ml=float(cmin[i]),
            auc_ng_h_ml=float(auc[i]),
            hours_in_band=float(inside[i]),
            hours_above_band=float(above[i]),
        )
        for i, window in enumerate(windows)
    )


def _fraction_of_steady_state(model: IndividualModel, hours: float) -> float:
    """Share of the steady-state average reached ``hours`` after starting a regimen from zero.

    For a sum of exponentials the running average approaches steady state as
    1 - sum_m w_m exp(-lambda_m t) with w_m = CL x c_m / lambda_m (the weights sum to one).
    """
    return 1.0 - sum(
        model.cl_l_per_h * c / rate * math.exp(-rate * hours)
        for rate, c in zip(model.rates, model.coefficients, strict=True)
    )


def steady_state(
    model: IndividualModel,
    repeating: RepeatingDay,
    *,
    resolution_h: float = 0.1,
    days: tuple[DayMetrics, ...] = (),
    period_h: float = 24.0,
) -> SteadyState:
    """Closed-form steady state of the repeating day: each mode's sum at the start of a period is
    sum_j D_j exp(-lambda (P - o_j)) / (1 - exp(-lambda P))."""
    rates = np.asarray(model.rates)
    offsets = np.asarray(repeating.offsets_h)
    amounts = np.asarray(repeating.amounts_mg)
    carried = (amounts[None, :] * np.exp(-np.outer(rates, period_h - offsets))).sum(axis=1) / (
        1.0 - np.exp(-rates * period_h)
    )
    system = Superposition(model, offsets, amounts, carried=carried, t0=0.0)
    grid = np.arange(0.0, period_h, resolution_h)
    conc = system.concentration(grid)
    _, peaks = system.interval_peaks(period_h)
    troughs = system.concentration(offsets)
    auc = repeating.daily_mg / model.cl_l_per_h * MG_PER_L_IN_NG_PER_ML
    low, high = 0.0, 1.0
    while _fraction_of_steady_state(model, high) < 0.9:
        high *= 2.0
    for _ in range(40):
        middle = (low + high) / 2.0
        low, high = (middle, high) if _fraction_of_steady_state(model, middle) < 0.9 else (low, middle)
    reached = None
    for day in days:
        if day.start_h >= repeating.start_h - 1e-9 and abs(day.auc_ng_h_ml - auc) <= 0.1 * auc:
            reached = day.day
            break
    return SteadyState(
        cmax_ng_ml=float(max(np.max(conc), np.max(peaks))),
        cmin_ng_ml=float(min(np.min(conc), np.min(troughs))),
        cavg_ng_ml=auc / period_h,
        auc_24h_ng_h_ml=auc,
        hours_to_90_percent=high,
        reached_on=reached,
    )


def exposure_ratio(result: SimulationResult, reference: SimulationResult) -> dict[str, float]:
    """This person's exposure over the reference person's on the same schedule (AUC and peak)."""
    if result.schedule.times_h != reference.schedule.times_h:
        raise InvalidInput("exposure ratios compare the same schedule")
    ratios = {
        "auc": result.auc_ng_h_ml / reference.auc_ng_h_ml if reference.auc_ng_h_ml else math.nan,
        "cmax": result.cmax_ng_ml / reference.cmax_ng_ml if reference.cmax_ng_ml else math.nan,
        "steady_state_auc": reference.model.cl_l_per_h / result.model.cl_l_per_h,
    }
    return ratios
