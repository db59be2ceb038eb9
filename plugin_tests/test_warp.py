"""Flow-to-time formulas, backward warping and the correlation layer (torch path)."""

from __future__ import annotations

import pytest
import torch

from vsstvun.model.ops import warp
from vsstvun.model.ops.correlation import correlation, correlation_torch
from vsstvun.model.ops.warp import backward_warp, flow_to_time


def test_flow_to_time_endpoints():
    torch.manual_seed(0)
    f34, f43 = torch.randn(2, 1, 2, 8, 8).unbind(0)
    t3, t4 = flow_to_time(f34, f43, 0.0)
    assert torch.count_nonzero(t3) == 0 and torch.equal(t4, f34)
    t3, t4 = flow_to_time(f34, f43, 1.0)
    assert torch.equal(t3, f43) and torch.count_nonzero(t4) == 0


def test_flow_to_time_linear_motion_midpoint():
    """For constant motion v (f34 = v, f43 = -v) the midpoint is half way on both sides."""
    v = torch.full((1, 2, 4, 4), 2.0)
    t3, t4 = flow_to_time(v, -v, 0.5)
    assert torch.allclose(t3, -v / 2) and torch.allclose(t4, v / 2)


def test_zero_flow_is_identity():
    x = torch.rand(2, 5, 9, 13)
    assert torch.allclose(backward_warp(x, torch.zeros(2, 2, 9, 13)), x, atol=1e-6)


@pytest.mark.parametrize("dx,dy", [(1, 0), (0, 2), (-3, 1)])
def test_integer_shift_equals_roll_away_from_borders(dx, dy):
    x = torch.rand(1, 3, 20, 24)
    flow = torch.zeros(1, 2, 20, 24)
    flow[:, 0], flow[:, 1] = dx, dy
    out = backward_warp(x, flow)
    ref = torch.roll(x, shifts=(-dy, -dx), dims=(2, 3))
    m = 4
    assert torch.allclose(out[..., m:-m, m:-m], ref[..., m:-m, m:-m], atol=1e-5)


def test_border_padding_clamps():
    x = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 2, 4).contiguous()
    flow = torch.zeros(1, 2, 2, 4)
    flow[:, 0] = 10.0
    assert torch.allclose(backward_warp(x, flow), torch.full_like(x, 3.0))


def test_half_input_is_warped_in_fp32():
    x = torch.rand(1, 2, 8, 8)
    flow = torch.full((1, 2, 8, 8), 0.5)
    out = backward_warp(x.half(), flow)
    assert out.dtype == torch.float16
    assert torch.allclose(out.float(), backward_warp(x, flow), atol=2e-3)


def test_bad_flow_shape():
    with pytest.raises(ValueError, match="flow shape"):
        backward_warp(torch.rand(1, 3, 8, 8), torch.zeros(1, 2, 4, 4))


def test_correlation_matches_direct_formula():
    torch.manual_seed(0)
    f1, f2 = torch.randn(1, 3, 6, 7), torch.randn(1, 3, 6, 7)
    md = 2
    out = correlation_torch(f1, f2, md)
    assert out.shape == (1, 25, 6, 7)
    y, x = 3, 2
    for dy in range(-md, md + 1):
        for dx in range(-md, md + 1):
            ch = (dy + md) * (2 * md + 1) + (dx + md)
            yy, xx = y + dy, x + dx
            ref = (f1[0, :, y, x] * f2[0, :, yy, xx]).mean() if 0 <= yy < 6 and 0 <= xx < 7 else 0.0
            assert float(out[0, ch, y, x]) == pytest.approx(float(ref), abs=1e-6)


def test_backend_selection(warp_backend):
    before = warp.get_backend()
    with pytest.raises(ValueError, match="unknown warp backend"):
        warp_backend("opencl")
    assert warp.get_backend() == before  # a refused name leaves the choice alone
    warp_backend("torch")
    assert warp.get_backend() == "torch"
    x = torch.rand(1, 1, 4, 4)
    assert torch.equal(correlation(x, x, 1), correlation_torch(x, x, 1))


def test_warp_to_time_endpoints_and_blends():
    from vsstvun.model.ops.warp import warp_to_time

    torch.manual_seed(1)
    x3, x4 = torch.rand(2, 1, 3, 10, 12).unbind(0)
    f34, f43 = (torch.randn(2, 1, 2, 10, 12) * 2).unbind(0)
    assert torch.allclose(warp_to_time(x3, x4, f34, f43, 0.0, "linear"), x3, atol=1e-6)  # f_03 = 0, all X3
    zero = torch.zeros_like(f34)
    assert torch.allclose(warp_to_time(x3, x4, zero, zero, 0.25, "linear"), 0.75 * x3 + 0.25 * x4, atol=1e-6)
    assert torch.allclose(warp_to_time(x3, x4, zero, zero, 0.25, "equal"), 0.5 * x3 + 0.5 * x4, atol=1e-6)
    with pytest.raises(ValueError, match="time blend"):
        warp_to_time(x3, x4, zero, zero, 0.25, "cubic")


# --- photometric flow clean-up ---------------------------------------------------------------------


def _moving_square(dx: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frames ``a``, ``b`` (1, 3, 48, 64) of a still random texture with a textured 12x12 square
    that moves ``dx`` px right from a to b, and the true flow a -> b (``dx`` on the square, 0 elsewhere)."""
    g = torch.Generator().manual_seed(0)
    a = torch.rand(1, 3, 48, 64, generator=g)
    b = a.clone()
    square = torch.rand(1, 3, 12, 12, generator=g)
    a[..., 18:30, 20:32] = square
    b[..., 18:30, 20 + dx : 32 + dx] = square
    truth = torch.zeros(1, 2, 48, 64)
    truth[:, 0, 18:30, 20:32] = dx
    return a, b, truth


def test_refine_flow_stops_motion_bleeding_into_still_background():
    from vsstvun.model.ops.flow_refine import refine_flow

    a, b, truth = _moving_square()
    bled = torch.zeros_like(truth)
    bled[:, 0, 8:40, 10:42] = 3.0  # the square's motion smeared 10 px around it
    ring = (bled[0, 0] != 0) & (truth[0, 0] == 0)
    ring[14:34, 16:38] = False  # leave out the pixels right at the square, which the box overlaps
    refined = refine_flow(bled, a, b, box=5)
    assert (bled - truth).norm(dim=1)[0][ring].mean() == pytest.approx(3.0)
    assert (refined - truth).norm(dim=1)[0][ring].mean() < 0.1
    assert torch.equal(refined[0, :, 21:27, 23:29], truth[0, :, 21:27, 23:29])  # the square keeps its motion


def test_refine_flow_with_a_one_pixel_box_never_fits_worse():
    from vsstvun.model.ops.flow_refine import photometric_cost, refine_flow

    a, b, _ = _moving_square()
    flow = torch.randn(1, 2, 48, 64, generator=torch.Generator().manual_seed(1)) * 2
    refined = refine_flow(flow, a, b, box=1)
    assert torch.all(photometric_cost(a, b, refined, 1) <= photometric_cost(a, b, flow, 1))
    assert not torch.equal(refined, flow)
    with pytest.raises(ValueError, match="box must be a positive odd number"):
        refine_flow(flow, a, b, box=4)


def test_shift_replicates_edges_instead_of_wrapping():
    from vsstvun.model.ops.flow_refine import shift

    x = torch.arange(12.0).view(1, 1, 3, 4)
    torch.testing.assert_close(shift(x, 0, 2), torch.tensor([[[[0.0, 0, 0, 1], [4, 4, 4, 5], [8, 8, 8, 9]]]]))
    torch.testing.assert_close(shift(x, -1, 0), torch.tensor([[[[4.0, 5, 6, 7], [8, 9, 10, 11], [8, 9, 10, 11]]]]))


def test_dis_inconsistency_is_zero_where_the_flows_undo_each_other():
    """A pan seen both ways checks out; the same pan twice is off by twice its length."""
    from vsstvun.model.ops.warp import dis_inconsistency

    pan = torch.zeros(1, 2, 24, 24)
    pan[:, 0] = 3.0
    inner = (..., slice(6, -6), slice(6, -6))
    for t in (0.25, 0.5):
        assert all(side[inner].abs().max() < 1e-5 for side in dis_inconsistency(pan, -pan, t))
        assert all(torch.allclose(side[inner], torch.tensor(6.0)) for side in dis_inconsistency(pan, pan, t))
