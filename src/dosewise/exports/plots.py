"""Concentration plots (matplotlib, Agg backend): one person's curve, or a population's percentile band,
with the therapeutic band shaded and the plan's steps marked. PNG or SVG, as bytes or to a file, so the
CLI, the web app and the PDF report share one drawing.

matplotlib is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dosewise.domain.pk import SimulationResult, StepMark

__all__ = [
    "FORMATS",
    "concentration_figure",
    "figure_bytes",
    "population_figure",
    "result_figure",
    "save_figure",
]

FORMATS: dict[str, str] = {".png": "png", ".svg": "svg"}
_BAND_COLOUR = "#2e7d32"
_LINE_COLOUR = "#1565c0"


def _figure() -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=110)
    axes = figure.add_subplot(1, 1, 1)
    return figure, axes


def _decorate(
    axes: Any,
    band: tuple[float, float] | None,
    marks: Sequence[StepMark],
    title: str,
    x_max: float,
) -> None:
    if band is not None:
        axes.axhspan(
            band[0],
            band[1],
            color=_BAND_COLOUR,
            alpha=0.12,
            label=f"therapeutic band {band[0]:g}-{band[1]:g} ng/mL",
        )
        axes.axhline(band[1], color=_BAND_COLOUR, linewidth=0.8, linestyle="--")
        axes.axhline(band[0], color=_BAND_COLOUR, linewidth=0.8, linestyle="--")
    for mark in marks:
        axes.axvline(mark.at_h, color="#616161", linewidth=0.8, linestyle=":")
        axes.annotate(
            mark.label,
            (mark.at_h, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=7,
            va="top",
            ha="right",
            color="#424242",
        )
    axes.set_xlim(0, x_max)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("hours from the start of the first day")
    axes.set_ylabel("plasma concentration (ng/mL)")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.25)
    axes.legend(loc="best", fontsize=8)


def concentration_figure(
    times_h: Sequence[float] | Any,
    concentration_ng_ml: Sequence[float] | Any,
    *,
    band: tuple[float, float] | None = None,
    marks: Sequence[StepMark] = (),
    title: str = "Predicted concentration",
    reference_ng_ml: Sequence[float] | Any | None = None,
) -> Figure:
    """One curve (and optionally the normal-kidney reference on the same plan)."""
    figure, axes = _figure()
    axes.plot(times_h, concentration_ng_ml, color=_LINE_COLOUR, linewidth=1.2, label="this person")
    if reference_ng_ml is not None:
        axes.plot(
            times_h,
            reference_ng_ml,
            color="#9e9e9e",
            linewidth=1.0,
            linestyle="--",
            label="reference kidney function",
        )
    _decorate(axes, band, marks, title, float(times_h[-1]) if len(times_h) else 1.0)
    figure.tight_layout()
    return figure


def population_figure(
    times_h: Sequence[float] | Any,
    p5: Sequence[float] | Any,
    p50: Sequence[float] | Any,
    p95: Sequence[float] | Any,
    *,
    band: tuple[float, float] | None = None,
    marks: Sequence[StepMark] = (),
    title: str = "Predicted concentration, virtual population",
) -> Figure:
    """Median with the 5th-95th percentile band."""
    figure, axes = _figure()
    axes.fill_between(
        times_h, p5, p95, color=_LINE_COLOUR, alpha=0.25, linewidth=0, label="5th-95th percentile"
    )
    axes.plot(times_h, p50, color=_LINE_COLOUR, linewidth=1.2, label="median")
    _decorate(axes, band, marks, title, float(times_h[-1]) if len(times_h) else 1.0)
    figure.tight_layout()
    return figure


def result_figure(
    result: SimulationResult, *, reference: SimulationResult | None = None, title: str = ""
) -> Figure:
    """The figure for one simulated person, straight from the domain result."""
    return concentration_figure(
        result.times_h,
        result.concentration_ng_ml,
        band=result.band_ng_ml,
        marks=result.schedule.marks,
        title=title or f"{result.model.parameter_set.label}",
        reference_ng_ml=reference.concentration_ng_ml if reference is not None else None,
    )


def figure_bytes(figure: Figure, fmt: Literal["png", "svg"]) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write PNG or SVG by the file's suffix; anything else is refused."""
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        from dosewise.domain.errors import InvalidInput

        raise InvalidInput(f"plot file '{target.name}' must end in .png or .svg")
    target.write_bytes(figure_bytes(figure, fmt))  # type: ignore[arg-type]
    return target
