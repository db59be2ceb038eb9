"""Bilinear backward warp and PWC-Net correlation as CuPy kernels on torch's current stream.

Both read fp16 or fp32 NCHW tensors in place (zero-copy via ``__cuda_array_interface__``),
accumulate in fp32 and write a tensor of the input dtype. Semantics match the torch paths in
:mod:`vsstvun.model.ops.warp` and :mod:`vsstvun.model.ops.correlation` exactly (border padding for the warp, zero
padding for the correlation), which the tests check to 1e-4 in fp32.
"""

from __future__ import annotations

import dataclasses
import functools

import cupy as cp
import torch

_SOURCE = r"""
#include <cuda_fp16.h>

__device__ __forceinline__ float ld(const float* p, long i) { return p[i]; }
__device__ __forceinline__ float ld(const __half* p, long i) { return __half2float(p[i]); }
__device__ __forceinline__ void st(float* p, long i, float v) { p[i] = v; }
__device__ __forceinline__ void st(__half* p, long i, float v) { p[i] = __float2half(v); }

template <typename T>
__device__ void warp_impl(const T* x, const float* flow, T* out, int B, int C, int H, int W) {
    long idx = (long)blockIdx.x * blockDim.x + threadIdx.x;
    long hw = (long)H * W;
    if (idx >= (long)B * hw) return;
    int b = idx / hw;
    long p = idx - (long)b * hw;
    int h = p / W, w = p - (long)h * W;
    float sx = fminf(fmaxf(w + flow[((long)b * 2) * hw + p], 0.f), (float)(W - 1));
    float sy = fminf(fmaxf(h + flow[((long)b * 2 + 1) * hw + p], 0.f), (float)(H - 1));
    int x0 = (int)floorf(sx), y0 = (int)floorf(sy);
    int x1 = min(x0 + 1, W - 1), y1 = min(y0 + 1, H - 1);
    float ax = sx - x0, ay = sy - y0;
    float w00 = (1.f - ax) * (1.f - ay), w01 = ax * (1.f - ay), w10 = (1.f - ax) * ay, w11 = ax * ay;
    for (int c = 0; c < C; ++c) {
        long base = ((long)b * C + c) * hw;
        float v = w00 * ld(x, base + (long)y0 * W + x0) + w01 * ld(x, base + (long)y0 * W + x1)
                + w10 * ld(x, base + (long)y1 * W + x0) + w11 * ld(x, base + (long)y1 * W + x1);
        st(out, base + p, v);
    }
}

template <typename T>
__device__ void corr_impl(const T* f1, const T* f2, T* out, int B, int C, int H, int W, int md) {
    int nd = 2 * md + 1;
    long hw = (long)H * W;
    long idx = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long)B * nd * nd * hw) return;
    long p = idx % hw;
    long rest = idx / hw;
    int d = rest % (nd * nd);
    int b = rest / (nd * nd);
    int h = p / W, w = p - (long)h * W;
    int y2 = h + d / nd - md, x2 = w + d % nd - md;
    float acc = 0.f;
    if (y2 >= 0 && y2 < H && x2 >= 0 && x2 < W) {
        long q = (long)y2 * W + x2;
        for (int c = 0; c < C; ++c) {
            long base = ((long)b * C + c) * hw;
            acc += ld(f1, base + p) * ld(f2, base + q);
        }
    }
    st(out, idx, acc / C);
}

extern "C" __global__ void warp_f32(const float* x, const float* f, float* o, int B, int C, int H, int W) {
    warp_impl<float>(x, f, o, B, C, H, W);
}
extern "C" __global__ void warp_f16(const __half* x, const float* f, __half* o, int B, int C, int H, int W) {
    warp_impl<__half>(x, f, o, B, C, H, W);
}
extern "C" __global__ void corr_f32(const float* a, const float* b, float* o, int B, int C, int H, int W, int md) {
    corr_impl<float>(a, b, o, B, C, H, W, md);
}
extern "C" __global__ void corr_f16(const __half* a, const __half* b, __half* o, int B, int C, int H, int W, int md) {
    corr_impl<__half>(a, b, o, B, C, H, W, md);
}
"""

_THREADS = 256
_SUFFIX = {torch.float32: "f32", torch.float16: "f16"}
#: NVRTC options of :data:`_SOURCE` (CI compiles it with them, without a GPU).
COMPILE_OPTIONS = ("--std=c++14",)
#: The kernels :func:`_launch` looks up: ``{op}_{suffix}``.
KERNEL_NAMES = tuple(f"{op}_{suffix}" for op in ("warp", "corr") for suffix in _SUFFIX.values())


@functools.cache
def _kernel(name: str, device: int) -> cp.RawKernel:
    """Compiled once per device (CuPy also caches the binary on disk)."""
    with cp.cuda.Device(device):
        return cp.RawModule(code=_SOURCE, options=COMPILE_OPTIONS).get_function(name)


@dataclasses.dataclass(frozen=True)
class _StreamHandle:
    """A raw ``cudaStream_t`` speaking the CUDA stream protocol. torch's own streams speak it only in
    recent releases (the package allows torch 2.4), and CuPy 14 deprecates the raw-handle
    ``ExternalStream``, which warned on every launch."""

    ptr: int

    def __cuda_stream__(self) -> tuple[int, int]:
        return (0, self.ptr)


def cupy_stream(handle: int) -> cp.cuda.Stream:
    """CuPy's view of torch's stream ``handle``: kernels queue behind torch's work without a sync."""
    return cp.cuda.Stream.from_external(_StreamHandle(handle))


def _launch(name: str, n: int, like: torch.Tensor, args: tuple) -> None:
    suffix = _SUFFIX.get(like.dtype)
    if suffix is None:
        raise TypeError(f"CuPy kernels take float16 or float32, got {like.dtype}")
    stream = cupy_stream(torch.cuda.current_stream(like.device).cuda_stream)
    kernel = _kernel(f"{name}_{suffix}", like.device.index or 0)
    with cp.cuda.Device(like.device.index or 0), stream:
        kernel(((n + _THREADS - 1) // _THREADS,), (_THREADS,), args)


def warp_cupy(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Same contract as :func:`vsstvun.model.ops.warp.warp_torch`; the flow is read in fp32."""
    x = x.contiguous()
    flow = flow.float().contiguous()
    b, c, h, w = x.shape
    out = torch.empty_like(x)
    args = (cp.asarray(x), cp.asarray(flow), cp.asarray(out), cp.int32(b), cp.int32(c), cp.int32(h), cp.int32(w))
    _launch("warp", b * h * w, x, args)
    return out


def correlation_cupy(f1: torch.Tensor, f2: torch.Tensor, md: int) -> torch.Tensor:
    """Same contract as :func:`vsstvun.model.ops.correlation.correlation_torch`."""
    f1, f2 = f1.contiguous(), f2.to(f1.dtype).contiguous()
    b, c, h, w = f1.shape
    nd = 2 * md + 1
    out = torch.empty((b, nd * nd, h, w), device=f1.device, dtype=f1.dtype)
    args = (
        cp.asarray(f1),
        cp.asarray(f2),
        cp.asarray(out),
        cp.int32(b),
        cp.int32(c),
        cp.int32(h),
        cp.int32(w),
        cp.int32(md),
    )
    _launch("corr", out.numel(), f1, args)
    return out
