"""Tiling: the blend plan, exactness of the plumbing, and tiled vs untiled with the real network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FakeModel, moving_frames

from vsstvun.filter.tiling import Tile, TiledModel, plan_tiles
from vsstvun.model import SIZE_MULTIPLE
from vsstvun.weights import load_model


@pytest.mark.parametrize(
    ("height", "width", "tiles", "overlap"),
    [(48, 64, (2, 1), 8), (64, 96, (2, 2), 16), (50, 70, (3, 2), 5), (64, 64, (4, 4), 0)],
)
def test_plan_weights_sum_to_one_and_tiles_align(height, width, tiles, overlap):
    scale = 2
    plan = plan_tiles(height, width, scale, tiles, overlap, dtype=torch.float64)
    assert len(plan) == tiles[0] * tiles[1]
    total = torch.zeros(height * scale, width * scale, dtype=torch.float64)
    for t in plan:
        assert t.weight.shape == ((t.y1 - t.y0) * scale, (t.x1 - t.x0) * scale)
        assert t.weight.min() > 0
        total[t.y0 * scale : t.y1 * scale, t.x0 * scale : t.x1 * scale] += t.weight
        # inner edges sit on the model's pooling grid
        for edge, size in ((t.y0, height), (t.y1, height), (t.x0, width), (t.x1, width)):
            assert edge in (0, size) or edge % SIZE_MULTIPLE == 0
    torch.testing.assert_close(total, torch.ones_like(total))


def test_single_tile_plan_is_passthrough():
    (tile,) = plan_tiles(48, 64, 4)
    assert (tile.y0, tile.y1, tile.x0, tile.x1, tile.weight) == (0, 48, 0, 64, None)


@pytest.mark.parametrize(
    ("tiles", "overlap", "message"),
    [
        ((0, 1), 8, "tiles must be"),
        ((5, 1), 8, r"tiles of about 12x48 .* at most \(4, 3\) tiles"),
        ((2, 2), -1, "overlap"),
    ],
)
def test_plan_rejects(tiles, overlap, message):
    with pytest.raises(ValueError, match=message):
        plan_tiles(48, 64, 2, tiles, overlap)


def test_tiled_model_rejects_unweighted_tiles():
    """Several tiles without blend weights cannot be blended: refused up front, not mid-render."""
    halves = [Tile(0, 48, 0, 40, None), Tile(0, 48, 24, 64, None)]
    with pytest.raises(ValueError, match="blend weight"):
        TiledModel(FakeModel(2), halves)


def window(height: int = 64, width: int = 96) -> torch.Tensor:
    return torch.from_numpy(np.stack(moving_frames(7, width, height))).unsqueeze(0)


def run(model, tiles, overlap, frames, t):
    tiled = TiledModel(model, plan_tiles(frames.shape[-2], frames.shape[-1], model.scale, tiles, overlap))
    with torch.inference_mode():
        return tiled.synthesize(tiled.encode(frames), t)


@pytest.mark.parametrize("t", [0.0, 0.4])
def test_blending_is_exact_for_a_local_model(t):
    """With a model without spatial context the only error source is the blend itself: none."""
    frames = window()
    reference = run(FakeModel(4), (1, 1), 0, frames, t)
    for tiles, overlap in (((2, 2), 8), ((3, 2), 4), ((2, 3), 0)):
        torch.testing.assert_close(run(FakeModel(4), tiles, overlap, frames, t), reference, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def lite() -> torch.nn.Module:
    """The shipped x2 weights: how far a tile's border reaches into its output is a property of
    trained weights (a randomly initialised network spreads every pixel much further). In fp32:
    the bounds below measure the seams, not bf16's rounding, which "auto" picks on native-bf16 CPUs."""
    return load_model("lite", 2, precision="fp32")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("t", "overlap", "worst", "mean"), [(0.0, 16, 5e-3, 1e-4), (0.5, 16, 5e-3, 1e-4), (0.5, 32, 1.5e-3, 1.5e-5)]
)
def test_tiled_matches_untiled_with_the_network(lite, t, overlap, worst, mean):
    """The real network has a large receptive field, so tiles cannot be bit-exact; with the
    overlap they must be close everywhere, and clearly closer than hard-edged tiles. The flows
    come from the whole frame, so in-between frames are as close as space-only ones (with
    per-tile flows they needed twice the overlap: the flow net sees furthest)."""
    frames = window()
    reference = run(lite, (1, 1), 0, frames, t)
    blended = (run(lite, (2, 2), overlap, frames, t) - reference).abs()
    hard = (run(lite, (2, 2), 0, frames, t) - reference).abs()
    assert blended.max() < worst and blended.mean() < mean
    assert hard.max() > 10 * blended.max()


def test_tiles_use_the_whole_frames_flows(lite):
    """Each tile's flows are its cut of the whole frame's: bit-identical to untiled inside it."""
    frames = window()
    with torch.inference_mode():
        (whole,) = TiledModel(lite, plan_tiles(64, 96, 2)).encode(frames)
        plan = plan_tiles(64, 96, 2, (2, 2), 16)
        for tile, state in zip(plan, TiledModel(lite, plan).encode(frames), strict=True):
            h, w = tile.y1 - tile.y0, tile.x1 - tile.x0
            for mine, ref in ((state.f34, whole.f34), (state.f43, whole.f43)):
                torch.testing.assert_close(
                    mine[..., :h, :w], ref[..., tile.y0 : tile.y1, tile.x0 : tile.x1], rtol=0, atol=0
                )
