"""(c) torch ``grid_sample`` vs the CuPy kernels: warp and correlation alone, then the whole model.

The micro-benchmarks use the largest shapes the model produces for the run's input size:
the synthesize warp (all feature levels plus the LR frame, at padded LR size) and PWC-Net's
finest cost volume (both flow directions in one batch, at padded LR size: PWC-Net sees the
LR frames upsampled x4 and its level 2 is a quarter of that). CUDA and CuPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

import torch

from ..model import SIZE_MULTIPLE
from ..model.ops.correlation import correlation
from ..model.ops.warp import backward_warp, cupy_available, set_backend
from .cache_payoff import cached_ms_per_frame, cached_window
from .report import Skipped, ms
from .runtime import Runtime, output_times

TITLE = "(c) torch vs CuPy"
BACKEND_NAMES = ("torch", "cupy")
#: Kernel calls per timed repeat: one call is microseconds, too short for a wall clock alone.
_CALLS = 20


@dataclass(frozen=True)
class KernelTiming:
    op: str
    shape: tuple[int, ...]
    ms: dict[str, float]
    """Median ms per call for each backend."""


@dataclass(frozen=True)
class Backends:
    title: str
    kernels: list[KernelTiming]
    model_ms_per_frame: dict[str, float]
    """Cached path (window + k frames) per backend."""

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for k in self.kernels:
            speedup = k.ms["torch"] / k.ms["cupy"]
            times = ", ".join(f"{name} {ms(v)}" for name, v in k.ms.items())
            rows.append((f"{k.op} {'x'.join(map(str, k.shape))}", f"{times} (CuPy {speedup:.2f}x)"))
        for name, v in self.model_ms_per_frame.items():
            rows.append((f"whole model, {name} backend", f"{ms(v)}/frame ({1000 / v:.3g} fps)"))
        return rows


def kernel_cases(rt: Runtime) -> dict[str, tuple[Callable[..., torch.Tensor], tuple[torch.Tensor, ...]]]:
    """``name -> (op, inputs)`` at the model's realistic sizes for this run."""
    cfg = rt.model.config
    width, height = rt.config.size
    hp, wp = -(-height // SIZE_MULTIPLE) * SIZE_MULTIPLE, -(-width // SIZE_MULTIPLE) * SIZE_MULTIPLE
    gen = torch.Generator().manual_seed(0)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen).to(rt.device, rt.dtype)

    feats = rand(1, cfg.levels * cfg.enc_ch + 3, hp, wp)
    pyramid = [rand(2, cfg.pwc_channels[1], hp, wp) for _ in range(2)]
    return {
        "backward_warp": (backward_warp, (feats, 4 * rand(1, 2, hp, wp))),
        "correlation": (lambda a, b: correlation(a, b, cfg.pwc_md), tuple(pyramid)),
    }


def _kernel_ms(rt: Runtime, op: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...]) -> float:
    def calls() -> float:
        return rt.clock.timed(lambda: [op(*inputs) for _ in range(_CALLS)])[1]

    return 1000 * median(s for rep in rt.repeat(calls, "kernel", windows=1) for s in rep) / _CALLS


def _model_ms_per_frame(rt: Runtime) -> float:
    window, times = rt.window(), output_times(rt.config.factor)
    return median(cached_ms_per_frame(rt.repeat(lambda: cached_window(rt.model, window, times, rt.clock), "model")))


@torch.inference_mode()
def backends(rt: Runtime) -> Backends | Skipped:
    if rt.device.type != "cuda" or not cupy_available():
        return Skipped(TITLE, "needs --device cuda and CuPy (pip install 'vsstvun[cuda]')")
    kernels: list[KernelTiming] = []
    model_ms: dict[str, float] = {}
    try:
        for name, (op, inputs) in kernel_cases(rt).items():
            timings = {}
            for backend in BACKEND_NAMES:
                set_backend(backend)
                timings[backend] = _kernel_ms(rt, op, inputs)
            kernels.append(KernelTiming(name, tuple(inputs[0].shape), timings))
        for backend in BACKEND_NAMES:
            set_backend(backend)
            model_ms[backend] = _model_ms_per_frame(rt)
    finally:
        set_backend(rt.config.backend)
    return Backends(TITLE, kernels, model_ms)
