"""Peak memory of one measured stretch of work, on CUDA or on the CPU.

CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` (tensors only,
not the caching allocator's reserve). CPU: the kernel's RSS high-water mark ``VmHWM``, which
Linux lets a process reset by writing ``5`` to ``/proc/self/clear_refs``; where that is not
allowed the mark is the process's lifetime peak, and the result says so (``reset=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_MIB = 1024 * 1024


@dataclass(frozen=True)
class PeakMemory:
    source: str
    """What was measured: ``cuda max_memory_allocated`` or ``cpu VmHWM``."""
    peak_mib: float
    delta_mib: float
    """Peak minus the usage when the measurement began: what the measured work added."""
    reset: bool
    """False when the peak could not be reset, i.e. it is the process's lifetime peak."""


def _status_bytes(key: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise KeyError(key)


def _reset_cpu_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


class PeakTracker:
    """Context manager: ``with PeakTracker(device) as t: ...``; then ``t.result``."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.result: PeakMemory | None = None
        self._baseline = 0
        self._reset = True

    def __enter__(self) -> PeakTracker:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
        else:
            self._reset = _reset_cpu_peak()
            self._baseline = _status_bytes("VmRSS")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            source, peak = "cuda max_memory_allocated", torch.cuda.max_memory_allocated(self.device)
        else:
            source, peak = "cpu VmHWM", _status_bytes("VmHWM")
        self.result = PeakMemory(source, peak / _MIB, (peak - self._baseline) / _MIB, self._reset)
