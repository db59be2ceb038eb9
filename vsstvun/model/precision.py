"""Which floating-point format the network's convolutions run in, and what ``"auto"`` means.

Only the encoder, EFST and the decoder change format: the flow estimator, the warps and the
flow-to-time arithmetic always run in fp32 (small cost-volume values, coarse-to-fine flow sums and
sampling positions lose accuracy in 16 bits; see :meth:`vsstvun.model.STVUN.set_precision`).

``"auto"``: on CUDA fp16 when the caller's frames are half already (the filter's RGBH input),
fp32 otherwise; on the CPU bf16 only where the CPU computes bf16 natively (AVX512-BF16 or AMX)
*and* :data:`AUTO_CPU_BF16` is set, which the precision table in docs/speed.md decides (bf16 must stay
within 0.05 dB PSNR-Y of fp32 on the evaluation clips). Without native support bf16 is emulated
and slower than fp32, so ``"auto"`` never picks it there.
"""

from __future__ import annotations

from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}

#: Whether bf16 is within 0.05 dB PSNR-Y of fp32 on the evaluation clips (docs/speed.md, "Precision").
#: Measured (stop 18, the precision table in docs/speed.md): on a native-bf16 CPU (Zen 5) bf16 is within
#: 0.001 dB PSNR-Y of fp32 on both evaluation clips and 1.5-1.7x faster, so "auto" takes it there.
AUTO_CPU_BF16 = True

_CPUINFO = Path("/proc/cpuinfo")
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def _cpuinfo_flags() -> set[str]:
    """The first CPU's feature flags from Linux's ``/proc/cpuinfo``; empty elsewhere."""
    try:
        text = _CPUINFO.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 ``vdpbf16ps`` or AMX tiles).

    Asks torch's cpuinfo-based probes (all platforms) and falls back to ``/proc/cpuinfo`` where a
    torch build lacks them.
    """
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(p is not None and p() for p in probes):
        return True
    return bool(_BF16_FLAGS & _cpuinfo_flags())


def resolve_precision(precision: str, device: torch.device, half_input: bool = False) -> str:
    """The concrete precision (``fp32``/``bf16``/``fp16``) that ``precision`` means on ``device``.

    ``half_input``: the caller's frames are fp16 (RGBH), which makes ``"auto"`` pick fp16 on CUDA.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp16" and device.type != "cuda":
        raise ValueError("precision='fp16' needs CUDA; on the CPU use 'bf16' (native on AVX512-BF16/AMX) or 'fp32'")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16" if half_input else "fp32"
    return "bf16" if AUTO_CPU_BF16 and cpu_native_bf16() else "fp32"


def input_dtype(compute: torch.dtype) -> torch.dtype:
    """The frame format to feed a network computing in ``compute``: fp16 for fp16 (half I/O, as
    on CUDA with RGBH clips), fp32 otherwise (bf16 frames would be rounded before the flow net)."""
    return torch.float16 if compute == torch.float16 else torch.float32
