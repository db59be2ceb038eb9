"""Wall-clock timing that is honest on CUDA."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


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
