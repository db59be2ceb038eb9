"""CuPy kernels against the torch paths (needs CUDA and CuPy; skipped elsewhere)."""

from __future__ import annotations

import pytest
import torch

from vsstvun.model.ops.correlation import correlation_torch
from vsstvun.model.ops.warp import cupy_available, warp_torch

pytestmark = pytest.mark.skipif(not cupy_available(), reason="needs CUDA and CuPy")


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-4), (torch.float16, 2e-2)])
def test_warp_kernel_matches_grid_sample(dtype, tol):
    from vsstvun.model.ops.cuda_kernels import warp_cupy

    torch.manual_seed(0)
    x = torch.rand(2, 5, 37, 53, device="cuda")
    flow = torch.randn(2, 2, 37, 53, device="cuda") * 6
    ref = warp_torch(x, flow)
    out = warp_cupy(x.to(dtype), flow)
    assert out.dtype == dtype
    assert (out.float() - ref).abs().max().item() < tol


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-4), (torch.float16, 2e-2)])
def test_correlation_kernel_matches_torch(dtype, tol):
    from vsstvun.model.ops.cuda_kernels import correlation_cupy

    torch.manual_seed(0)
    f1, f2 = torch.randn(2, 2, 16, 19, 23, device="cuda").unbind(0)
    ref = correlation_torch(f1, f2, 4)
    out = correlation_cupy(f1.to(dtype), f2.to(dtype), 4)
    assert (out.float() - ref).abs().max().item() < tol


@pytest.fixture
def true_fp32():
    """cuDNN convolutions default to TF32 (10 mantissa bits) on Ampere and later. The random flow
    net amplifies that rounding into output differences of 5e-3 between two warp backends that
    agree to 1.2e-5 in true fp32 (both measured on an H200), so the comparison turns TF32 off."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def test_model_same_with_either_backend(warp_backend, true_fp32):
    from vsstvun.model import build_model

    torch.manual_seed(0)
    model = build_model("lite").cuda().eval()
    frames = torch.rand(1, 7, 3, 32, 32, device="cuda")
    outs = []
    for backend in ("torch", "cupy"):
        warp_backend(backend)
        with torch.inference_mode():
            state = model.encode_window(frames)
            outs.append(model.synthesize(state, 0.5))
    assert (outs[0] - outs[1]).abs().max().item() < 1e-4
