"""Charts are saved as small palette PNGs that look the same as matplotlib's own."""

from __future__ import annotations

import numpy as np
import pytest

from vsstvun.charts import CHART_COLOURS, opaque_png, save_chart

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


def test_opaque_png_drops_only_an_opaque_alpha_channel(tmp_path):
    """Same pixels, fewer bytes; a PNG with any transparency is refused, not flattened."""
    from PIL import Image

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    path = tmp_path / "crop.png"
    Image.fromarray(np.dstack([rgb, np.full((64, 96), 255, np.uint8)]), "RGBA").save(path)
    before = path.stat().st_size
    opaque_png(path)
    with Image.open(path) as image:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), rgb)
    assert path.stat().st_size < before
    seen = tmp_path / "seen-through.png"
    Image.fromarray(np.dstack([rgb, np.full((64, 96), 254, np.uint8)]), "RGBA").save(seen)
    with pytest.raises(ValueError, match="not opaque"):
        opaque_png(seen)
