"""vsstvun.eval.metrics against values known in closed form (and skimage where installed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vsstvun.eval import metrics as m


def noisy_pair(seed: int = 0, shape: tuple[int, ...] = (3, 24, 30)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.random(shape)
    return a, np.clip(a + 0.05 * rng.standard_normal(shape), 0, 1)


def test_identical_images() -> None:
    a, _ = noisy_pair()
    assert m.psnr(a, a) == np.inf and m.psnr_y(a, a) == np.inf
    assert m.ssim(a, a) == pytest.approx(1.0) and m.ssim_y(a, a) == pytest.approx(1.0)


def test_psnr_known_mse() -> None:
    a = np.full((3, 16, 16), 0.5)
    assert m.psnr(a, a + 0.1) == pytest.approx(20.0)  # MSE 0.01
    b = a.copy()
    b[0, :8] += 0.2  # MSE = 0.04 / 6
    assert m.psnr(a, b) == pytest.approx(10 * np.log10(6 / 0.04))


def test_luma_bt601() -> None:
    rgb = np.zeros((3, 2, 2))
    rgb[:, 0, 0] = 1
    rgb[0, 1, 1] = 1
    y = m.rgb_to_y(rgb)
    assert y.shape == (1, 2, 2)
    assert y[0, 0, 0] == pytest.approx(235 / 255, abs=1e-3) and y[0, 0, 1] == pytest.approx(16 / 255)
    assert y[0, 1, 1] == pytest.approx((16 + 65.481) / 255)
    # a uniform luma offset of 0.02 * 219 / 255 from an RGB offset of 0.02
    a = np.full((3, 16, 16), 0.4)
    assert m.psnr_y(a, a + 0.02) == pytest.approx(-20 * np.log10(0.02 * 219 / 255), abs=1e-3)


def test_ssim_constant_images_closed_form() -> None:
    a, b = np.full((1, 12, 12), 0.2), np.full((1, 12, 12), 0.6)
    c1 = (0.01) ** 2
    assert m.ssim(a, b) == pytest.approx((2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1))


def test_ssim_single_window_direct_formula() -> None:
    """On an 11x11 image there is exactly one window: SSIM is the formula with Gaussian moments."""
    a, b = noisy_pair(1, (1, 11, 11))
    r = np.arange(11) - 5
    g = np.exp(-(r**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    x, y = a[0], b[0]
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy, cxy = (w * x * x).sum() - mx**2, (w * y * y).sum() - my**2, (w * x * y).sum() - mx * my
    c1, c2 = 0.01**2, 0.03**2
    want = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    assert m.ssim(a, b) == pytest.approx(want, rel=1e-10)


def test_batches_crop_and_torch() -> None:
    a, b = noisy_pair(2)
    batch_a, batch_b = np.stack([a, a]), np.stack([b, a])
    p = m.psnr(batch_a, batch_b)
    assert p.shape == (2,) and p[1] == np.inf and p[0] == pytest.approx(m.psnr(a, b))
    assert m.ssim(batch_a, batch_b).shape == (2,)
    assert m.ssim(torch.from_numpy(a).float(), torch.from_numpy(b).float()) == pytest.approx(m.ssim(a, b), abs=1e-6)
    border = a.copy()
    border[:, :2] = 0
    assert m.psnr(a, border, crop=2) == np.inf and m.psnr(a, border) < 30
    with pytest.raises(ValueError):
        m.psnr(a, b[:, :-1])


def test_ssim_matches_skimage() -> None:
    metrics = pytest.importorskip("skimage.metrics")
    a, b = noisy_pair(3, (3, 40, 50))
    want = metrics.structural_similarity(
        a, b, channel_axis=0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0
    )
    assert m.ssim(a, b) == pytest.approx(want, rel=1e-9)
    assert m.psnr(a, b) == pytest.approx(metrics.peak_signal_noise_ratio(a, b, data_range=1.0))
