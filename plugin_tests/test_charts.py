"""Charts are saved as small palette PNGs that look the same as matplotlib's own."""

from __future__ import annotations

import numpy as np
import pytest

from vsstvun.charts import CHART_COLOURS, save_chart

Image = pytest.importorskip("PIL.Image")
Figure = pytest.importorskip("matplotlib.figure").Figure


def _chart() -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    x = np.linspace(0, 10, 400)
    for k in range(4):
        ax.plot(x, np.sin(x + k) * np.exp(-x / (k + 3)), label=f"curve {k}")
    ax.bar([1, 2, 3], [0.2, -0.1, 0.4], alpha=0.5)
    ax.set_yscale("symlog")
    ax.legend()
    ax.set_title("a chart with lines, bars and text")
    return fig


def test_save_chart_writes_a_smaller_palette_png_that_looks_the_same(tmp_path):
    fig = _chart()
    truecolour, chart = tmp_path / "rgb.png", tmp_path / "chart.png"
    fig.savefig(truecolour, dpi=100)
    assert save_chart(fig, chart) == chart
    with Image.open(chart) as small, Image.open(truecolour) as full:
        assert small.mode == "P" and len(small.getcolors()) <= CHART_COLOURS
        diff = np.abs(np.asarray(small.convert("RGB"), float) - np.asarray(full.convert("RGB"), float))
    assert diff.mean() < 1.0  # on 0..255: the same picture to the eye
    assert chart.stat().st_size < 0.6 * truecolour.stat().st_size
