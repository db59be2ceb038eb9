"""What a run reports and how: results as markdown and JSON, and the machine they came from
(clock, peak memory, load, peak FLOP/s).

Each section returns a dataclass that knows its own table rows; this module only lays them
out, so adding a measurement never touches the renderer. Linux-only sources (``/proc``,
``os.getloadavg``) degrade to "unknown" elsewhere instead of failing the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Protocol

import torch

from .. import __version__

_PROC = Path("/proc")
_MIB = 1024 * 1024
#: Environment variable that overrides the computed peak, in GFLOP/s (also ``--peak-gflops``).
PEAK_ENV = "VSSTVUN_PEAK_GFLOPS"


# --- clock and memory -------------------------------------------------------------------------


class Clock:
    """Reads the time only after the device has finished its queued work.

    CUDA kernels run asynchronously: without a synchronize a timer would measure launch cost,
    and work of one stage would be billed to the next.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def timed[T](self, fn: Callable[[], T]) -> tuple[T, float]:
        """``fn()`` and the seconds it took."""
        start = self.now()
        result = fn()
        return result, self.now() - start


@dataclass(frozen=True)
class PeakMemory:
    source: str
    """What was measured: ``cuda max_memory_allocated``, ``cpu VmHWM`` or ``unavailable``."""
    peak_mib: float
    delta_mib: float
    """Peak minus the usage when the measurement began: what the measured work added."""
    reset: bool
    """False when the peak could not be reset, i.e. it is the process's lifetime peak."""


def _proc_status_bytes(key: str) -> int | None:
    """A ``/proc/self/status`` field (Linux, reported in kB) in bytes; None where there is none."""
    try:
        lines = (_PROC / "self/status").read_text().splitlines()
    except OSError:
        return None
    values = [int(line.split()[1]) * 1024 for line in lines if line.startswith(f"{key}:")]
    return values[0] if values else None


class PeakTracker:
    """``with PeakTracker(device) as t: ...``; then ``t.result``.

    CUDA: ``max_memory_allocated`` after ``reset_peak_memory_stats`` (tensors only, not the
    caching allocator's reserve). CPU: the RSS high-water mark ``VmHWM``, which Linux lets a
    process reset by writing ``5`` to ``/proc/self/clear_refs``; where that is not allowed the
    mark is the lifetime peak (``reset=False``), and without ``/proc`` the result says so.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.result = PeakMemory("unavailable", 0.0, 0.0, False)
        self._baseline: int | None = 0
        self._reset = True

    def __enter__(self) -> PeakTracker:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
        else:
            try:
                (_PROC / "self/clear_refs").write_text("5")
            except OSError:
                self._reset = False
            self._baseline = _proc_status_bytes("VmRSS")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            source, peak = "cuda max_memory_allocated", torch.cuda.max_memory_allocated(self.device)
        else:
            source, peak = "cpu VmHWM", _proc_status_bytes("VmHWM")
        if peak is not None and self._baseline is not None:
            self.result = PeakMemory(source, peak / _MIB, (peak - self._baseline) / _MIB, self._reset)


# --- the machine ------------------------------------------------------------------------------


def cpu_info() -> tuple[str, float | None, set[str]]:
    """CPU model name, clock in GHz and feature flags from Linux's ``/proc/cpuinfo``.

    Elsewhere: ``platform.processor()``, no clock, no flags (peaks then need an override).
    """
    try:
        text = (_PROC / "cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), None, set()
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())  # the first CPU's
    mhz = fields.get("cpu MHz")
    return (
        fields.get("model name", platform.machine()),
        float(mhz) / 1000 if mhz else None,
        set(fields.get("flags", "").split()),
    )


def load_average() -> float | None:
    """1-minute load average: other work on the machine slows CPU numbers, so runs record it."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # Windows has no getloadavg
        return None


def cpu_flop_per_cycle(flags: set[str], dtype: torch.dtype) -> int:
    """Peak FLOP per cycle and core of a CPU for convolutions in ``dtype``.

    Assumes two FMA pipes per core, each a full vector wide (true of Zen 5 and recent Intel
    server cores; Zen 4 splits 512-bit FMAs, halving its AVX-512 figure), and one FMA = 2 FLOP:
    AVX-512: 2 x 16 fp32 lanes x 2 = 64; AVX2: 2 x 8 x 2 = 32; SSE: 2 x 4 x 2 = 16. bf16 doubles
    the fp32 figure with AVX512-BF16 (``vdpbf16ps``: two bf16 products per fp32 lane) and is taken
    as AMX's 1024 (16x32 bf16 tile ops) with AMX; without either it runs as converted fp32.
    """
    fp32 = 64 if "avx512f" in flags else 32 if {"avx2", "fma"} <= flags else 16
    if dtype == torch.bfloat16:
        if "amx_bf16" in flags:
            return 1024
        if "avx512_bf16" in flags:
            return 2 * fp32
    return fp32


#: Dense FLOP per cycle and SM of NVIDIA GPUs by compute capability: (fp32 CUDA cores, TF32 tensor
#: cores, fp16/bf16 tensor cores); e.g. H100 SXM: 132 SMs x 1.98 GHz x 4096 = 1070 TFLOP/s fp16.
_CUDA_FLOP_PER_CYCLE = {(8, 0): (128, 1024, 2048), (9, 0): (256, 2048, 4096)}


def peak_gflops(device: torch.device, dtype: torch.dtype, threads: int, override: float | None = None) -> str | float:
    """The machine's peak GFLOP/s for this run's precision, or why it is unknown.

    CPU: threads x clock x :func:`cpu_flop_per_cycle` (the clock is ``/proc/cpuinfo``'s, which a
    VM may report as nominal). CUDA: SMs x clock x the table above (fp32 at the TF32 rate when
    cuDNN may use TF32, as it does by default). ``override`` or ``$VSSTVUN_PEAK_GFLOPS`` wins.
    """
    if override is None and os.environ.get(PEAK_ENV):
        override = float(os.environ[PEAK_ENV])
    if override is not None:
        return override
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        rates = _CUDA_FLOP_PER_CYCLE.get((props.major, props.minor))
        if rates is None:
            return f"unknown for compute capability {props.major}.{props.minor}: pass --peak-gflops"
        fp32, tf32, half = rates
        per_cycle = half if dtype != torch.float32 else tf32 if torch.backends.cudnn.allow_tf32 else fp32
        return props.multi_processor_count * props.clock_rate / 1e6 * per_cycle
    _, ghz, flags = cpu_info()
    if ghz is None:
        return f"unknown without /proc/cpuinfo: pass --peak-gflops or set {PEAK_ENV}"
    return threads * ghz * cpu_flop_per_cycle(flags, dtype)


# --- results and their renderings -------------------------------------------------------------


class Section(Protocol):
    title: str

    def rows(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class Skipped:
    """A section that could not run here, with the reason shown in place of its numbers."""

    title: str
    note: str

    def rows(self) -> list[tuple[str, str]]:
        return [("skipped", self.note)]


@dataclass
class RunResult:
    title: str
    config: dict[str, Any]
    env: dict[str, Any]
    notes: list[str]
    sections: dict[str, Section] = field(default_factory=dict)

    HEADER: ClassVar[tuple[str, str]] = ("| section | measure | value |", "|---|---|---|")

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "config": self.config,
            "env": self.env,
            "notes": self.notes,
            "sections": {
                key: {"skipped": isinstance(s, Skipped), **dataclasses.asdict(s)}  # type: ignore[call-overload]
                for key, s in self.sections.items()
            },
        }

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", *(f"- {note}" for note in self.notes), "", *self.HEADER]
        lines += [f"| {s.title} | {measure} | {value} |" for s in self.sections.values() for measure, value in s.rows()]
        return "\n".join(lines) + "\n"


def markdown(runs: list[RunResult]) -> str:
    return "\n".join(run.markdown() for run in runs)


def write_json(runs: list[RunResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vsstvun": __version__, "runs": [r.to_json() for r in runs]}, indent=2) + "\n")


def ms(value: float) -> str:
    """Milliseconds with enough digits for both CPU seconds and GPU microseconds."""
    return f"{value:.1f} ms" if value >= 1 else f"{value:.3f} ms"


def per_frame(ms_per_frame: float) -> str:
    return f"{ms(ms_per_frame)}/frame ({1000 / ms_per_frame:.3g} fps)"


def memory(peak: PeakMemory) -> str:
    if peak.source == "unavailable":
        return "unavailable on this platform"
    lifetime = "" if peak.reset else ", process lifetime peak"
    return f"{peak.peak_mib:.0f} MiB peak, +{peak.delta_mib:.0f} MiB during the run ({peak.source}{lifetime})"
