"""A pool of execution slots: at most ``n`` model calls at once, each on its own CUDA stream.

VapourSynth calls the filter from several threads. On CUDA, giving each concurrent call its own
stream lets one frame's upload, another's kernels and a third's download overlap instead of
queueing on the default stream; on the CPU a slot is just a place in a semaphore.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


class StreamPool:
    """``n`` slots on ``device``; :meth:`slot` runs the body on a free slot's stream."""

    def __init__(self, device: torch.device, n: int) -> None:
        if n < 1:
            raise ValueError(f"num_streams must be >= 1, got {n}")
        self.device = device
        self._free: queue.SimpleQueue[torch.cuda.Stream | None] = queue.SimpleQueue()
        for _ in range(n):
            self._free.put(torch.cuda.Stream(device) if device.type == "cuda" else None)
        self._limit = threading.BoundedSemaphore(n)

    @contextmanager
    def slot(self) -> Iterator[torch.cuda.Stream | None]:
        with self._limit:
            stream = self._free.get()
            try:
                if stream is None:
                    yield None
                else:
                    # Work queued by other streams (e.g. the encode that filled a cached state)
                    # was finished by their own synchronize before its results were shared.
                    with torch.cuda.stream(stream):
                        yield stream
            finally:
                self._free.put(stream)

    def upload(self, array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        """Host array to the device; from pinned memory asynchronously on CUDA."""
        host = torch.from_numpy(array)
        if self.device.type != "cuda":
            return host.to(dtype)
        return host.pin_memory().to(self.device, dtype, non_blocking=True)

    @staticmethod
    def finish(stream: torch.cuda.Stream | None) -> None:
        """Wait for the slot's queued work, so its results may be shared with other streams."""
        if stream is not None:
            stream.synchronize()

    def download(self, image: torch.Tensor, dtype: torch.dtype, stream: torch.cuda.Stream | None) -> np.ndarray:
        """Device tensor to a host array (into pinned memory, one sync for the whole frame)."""
        if stream is None:
            return image.to("cpu", dtype).numpy()
        host = torch.empty(image.shape, dtype=dtype, pin_memory=True)
        host.copy_(image, non_blocking=True)
        stream.synchronize()
        return host.numpy()
