"""Concentration plots are real PNG and SVG files with the band, the steps and the curves drawn."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pytest

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk import StepMark, individualise, schedule_from_plan, simulate
from dosewise.exports.plots import figure_bytes, population_figure, result_figure, save_figure
from dosewise.knowledge.pk import load_parameter_sets


@pytest.fixture
def result(kb):
    """One person on a short two-step plan, simulated."""
    from datetime import date

    from dosewise.domain.quantity import mg
    from dosewise.domain.regimen import Plan, Step, default_times

    first = Step(date(2026, 1, 5), 2, mg(5), default_times(3))
    plan = Plan("baclofen", "oral", (first, Step(first.end, 2, mg(10), default_times(3))), kb.version)
    model = individualise(load_parameter_sets(kb, "baclofen")[0]["simon2018"], crcl_ml_min=40.0)
    return simulate(model, schedule_from_plan(plan, UTC), band_ng_ml=(80.0, 400.0))


def test_a_person_plot_is_written_as_a_real_png(result, tmp_path) -> None:
    """The PNG starts with the PNG signature and is far bigger than an empty canvas."""
    path = save_figure(result_figure(result), tmp_path / "curve.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000


def test_a_person_plot_as_svg_holds_the_band_the_steps_and_the_curve(result, tmp_path) -> None:
    """The SVG names the therapeutic band and both plan steps, and draws paths."""
    text = save_figure(result_figure(result), tmp_path / "curve.svg").read_text()
    assert text.lstrip().startswith("<?xml")
    assert "<svg" in text
    assert text.count("<path") > 20
    assert "therapeutic band 80-400 ng/mL" in text
    assert "5 mg x3" in text
    assert "10 mg x3" in text
    assert "plasma concentration (ng/mL)" in text


def test_a_population_band_plot_renders_to_bytes() -> None:
    """The percentile band figure renders to PNG bytes that differ from a figure without the band."""
    t = np.linspace(0, 48, 200)
    p50 = 200 + 100 * np.sin(t)
    png = figure_bytes(
        population_figure(t, p50 * 0.6, p50, p50 * 1.5, band=(80, 400), marks=[StepMark(0, "start")]), "png"
    )
    plain = figure_bytes(population_figure(t, p50, p50, p50), "png")
    assert png[:4] == b"\x89PNG"
    assert png != plain


def test_an_unknown_plot_format_is_refused(result, tmp_path) -> None:
    """Only .png and .svg are written; a .jpg gets a clear refusal."""
    with pytest.raises(InvalidInput, match=r"\.png or \.svg"):
        save_figure(result_figure(result), tmp_path / "curve.jpg")
