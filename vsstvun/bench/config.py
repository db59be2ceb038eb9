"""What one benchmark run measures, and the named suites behind the numbers in docs/speed.md.

A run is fully described by a frozen :class:`BenchConfig`, so the JSON report can record
exactly what produced each number and a suite is just a list of configs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ..model import PRESETS
from ..model.config import SCALES
from ..model.ops.warp import BACKENDS
from ..model.precision import resolve_precision

DEVICES = ("cpu", "cuda")


def parse_size(text: str) -> tuple[int, int]:
    """``"480x270"`` -> ``(480, 270)`` (width, height), the way encoders write sizes."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 480x270, got {text!r}") from None
    return width, height


@dataclass(frozen=True)
class BenchConfig:
    """Settings of one benchmark run; the defaults are the CPU suite's run."""

    size: tuple[int, int] = (480, 270)
    """Input (LR) width and height."""
    scale: int = 4
    factor: int = 2
    """Time factor k: output frames per input frame (one window yields k frames)."""
    preset: str = "lite"
    device: str = "cpu"
    precision: str = "fp32"
    backend: str = "auto"
    warmup: int = 1
    """Untimed windows run before each timed path (kernel selection, allocator, compilation)."""
    repeats: int = 2
    """Timed repetitions; medians are reported."""
    frames: int = 2
    """Input frames (= windows) per repeat; also the length of the clip fed to the filter."""
    model_path: str | None = None
    channels_last: bool = False
    compile: bool = False
    num_streams: int = 1
    """The filter's ``num_streams`` in section (b) (CUDA streams)."""
    tiles: tuple[int, int] = (1, 1)
    """The filter's ``tiles`` (columns, rows) in section (b)."""
    peak_gflops: float | None = None
    """The machine's peak for this precision; None: computed (see :func:`report.peak_gflops`)."""

    def __post_init__(self) -> None:
        width, height = self.size
        if width < 16 or height < 16:
            raise ValueError(f"size must be at least 16x16, got {width}x{height}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale}")
        if self.factor < 1:
            raise ValueError(f"factor must be >= 1, got {self.factor}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose one of {sorted(PRESETS)}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self.device!r}")
        resolve_precision(self.precision, torch.device(self.device))  # raises for fp16 on the CPU
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.warmup < 0 or self.repeats < 1:
            raise ValueError(f"need warmup >= 0 and repeats >= 1, got {self.warmup} and {self.repeats}")
        if self.num_streams < 1 or min(self.tiles) < 1:
            raise ValueError(f"need num_streams >= 1 and tiles >= 1, got {self.num_streams} and {self.tiles}")
        if self.frames < 2:
            raise ValueError(f"frames must be >= 2 (the filter needs a 2-frame clip), got {self.frames}")

    @property
    def out_size(self) -> tuple[int, int]:
        return self.size[0] * self.scale, self.size[1] * self.scale

    def replace(self, **changes: object) -> BenchConfig:
        return dataclasses.replace(self, **changes)

    def title(self) -> str:
        (w, h), (ow, oh) = self.size, self.out_size
        options = (
            ("channels_last", self.channels_last),
            ("compile", self.compile),
            (f"{self.num_streams} streams", self.num_streams > 1),
            (f"tiles {self.tiles[0]}x{self.tiles[1]}", self.tiles != (1, 1)),
        )
        flags = "".join(f", {name}" for name, on in options if on)
        return (
            f"{self.preset} x{self.scale}, {w}x{h} -> {ow}x{oh}, factor {self.factor}, "
            f"{self.device} {self.precision}{flags}"
        )


#: The GPU day's base run: 960x540 -> 3840x2160 (x4), x2 time.
_GPU = BenchConfig(size=(960, 540), preset="full", device="cuda", precision="fp16", warmup=2, repeats=5, frames=8)

SUITES: dict[str, list[BenchConfig]] = {
    # docs/speed.md's 2-core numbers, both precisions in one run (same load): 2 repeats of 2 windows.
    "cpu": [BenchConfig(precision=precision) for precision in ("bf16", "fp32")],
    "gpu": [
        _GPU.replace(preset=preset, precision=precision)
        for preset in ("full", "lite")
        for precision in ("fp16", "fp32")
    ]
    + [_GPU.replace(num_streams=2), _GPU.replace(num_streams=4), _GPU.replace(tiles=(2, 2))],
    # What fits beside training in a lent session's one call (scripts/gpu_session.sh): the
    # headline fp16 rows of both presets, fewer repeats.
    "gpu-quick": [_GPU.replace(preset=preset, repeats=3) for preset in ("full", "lite")],
    # For a lent session's second call, the one that carries VapourSynth (FILTER=1
    # scripts/gpu_check.sh): every section runs for each row, but these rows exist for section (b),
    # the filter against the network alone, with 1 and 2 CUDA streams and 2x2 tiles.
    "gpu-filter": [
        _GPU.replace(preset=preset, repeats=3, num_streams=streams) for preset in ("full", "lite") for streams in (1, 2)
    ]
    + [_GPU.replace(preset="lite", repeats=3, tiles=(2, 2))],
}
