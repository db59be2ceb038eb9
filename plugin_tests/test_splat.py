"""Forward splatting (vsstvun.model.ops.splat): where pixels land, and why it beats backward
warping at a motion boundary."""

from __future__ import annotations

import pytest
import torch

from vsstvun.model.ops.splat import HOLE, SPLAT_ALPHA, forward_splat, splat_to_time
from vsstvun.model.ops.warp import warp_to_time


def _flow(b: int, h: int, w: int, dx: float, dy: float) -> torch.Tensor:
    return torch.tensor([dx, dy]).view(1, 2, 1, 1).expand(b, 2, h, w).clone()


def test_forward_splat_moves_pixels_where_their_flow_points():
    """Zero flow returns the frame (and weight 1); a whole-pixel shift moves it, what leaves the
    frame is dropped and what nothing reaches gets weight 0; a half-pixel shift shares a pixel
    equally between its two neighbours; the weights scale both sums."""
    x = torch.rand(2, 3, 8, 10)
    ones = torch.ones(2, 1, 8, 10)
    total, weight = forward_splat(x, _flow(2, 8, 10, 0, 0), ones)
    torch.testing.assert_close(total, x)
    torch.testing.assert_close(weight, ones)
    total, weight = forward_splat(x, _flow(2, 8, 10, 2, -1), ones)
    torch.testing.assert_close(total[:, :, :-1, 2:], x[:, :, 1:, :-2])
    assert (weight[:, :, :-1, 2:] == 1).all() and (weight[:, :, -1] == 0).all() and (weight[..., :2] == 0).all()
    dot = torch.zeros(1, 1, 5, 5)
    dot[..., 2, 2] = 1
    total, weight = forward_splat(dot, _flow(1, 5, 5, 0.5, 0), torch.ones(1, 1, 5, 5))
    assert total[0, 0, 2, 2] == pytest.approx(0.5) and total[0, 0, 2, 3] == pytest.approx(0.5)
    assert float(total.sum()) == pytest.approx(1.0)
    total, weight = forward_splat(dot, _flow(1, 5, 5, 0, 0), torch.full((1, 1, 5, 5), 0.25))
    assert float(total.sum()) == pytest.approx(0.25) and float(weight.sum()) == pytest.approx(25 * 0.25)


def _moving_square(t: float) -> torch.Tensor:
    """A textured still background with a flat bright square 10 px wide at x = 8 + 8 t."""
    g = torch.Generator().manual_seed(0)
    frame = 0.3 * torch.rand(1, 3, 32, 48, generator=g)
    x0 = round(8 + 8 * t)
    frame[..., 10:20, x0 : x0 + 10] = 1.0
    return frame


def test_splatting_keeps_a_moving_edge_that_backward_warping_drags():
    """A square moving 8 px over a still background, with exact flows both ways: splatted to
    t = 0.5 it lands where the true frame has it; backward warping with Eq. 4's flows from t
    (the sequential pipeline's interpolation) smears it at its edges."""
    x3, x4 = _moving_square(0.0), _moving_square(1.0)
    f34, f43 = torch.zeros(1, 2, 32, 48), torch.zeros(1, 2, 32, 48)
    f34[:, 0, 10:20, 8:18] = 8.0
    f43[:, 0, 10:20, 16:26] = -8.0
    truth = _moving_square(0.5)
    warped = warp_to_time(x3, x4, f34, f43, 0.5, "linear")
    splatted = splat_to_time(x3, x4, f34, f43, 0.5, warped)
    square = (..., slice(10, 20), slice(12, 22))
    torch.testing.assert_close(splatted[square], truth[square])
    assert (warped[square] - truth[square]).abs().max() > 0.3
    # Overall (inside the border, where both fill what enters from the edge alike) it still wins
    # by far, although the background the square uncovers, X4's only, matches nothing in X3 and
    # falls back to the warped blend.
    assert (splatted - truth)[..., 2:-2, 2:-2].abs().mean() < 0.6 * (warped - truth)[..., 2:-2, 2:-2].abs().mean()


def test_splat_to_time_fills_holes_from_the_fallback_and_keeps_the_ends():
    """Where nothing lands (both frames splatted away), the fallback shows through; so it does
    where what lands matches its partner frame too badly to be trusted; at t = 0 the frame is X3
    wherever X3 lands on itself and matches."""
    x3, x4 = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    away = _flow(1, 16, 16, 100, 0)
    fallback = torch.full_like(x3, 0.5)
    torch.testing.assert_close(splat_to_time(x3, x4, away, -away, 0.5, fallback), fallback)
    still = torch.zeros(1, 2, 16, 16)
    torch.testing.assert_close(splat_to_time(x3, x3.clone(), still, still, 0.0, fallback), x3)
    opposite = 1 - x3.round()  # every pixel off by more than 0.5 from its partner
    mismatched = splat_to_time(x3.round(), opposite, still, still, 0.5, fallback)
    torch.testing.assert_close(mismatched, fallback)
    assert torch.exp(torch.tensor(-SPLAT_ALPHA * 0.5)) < HOLE
