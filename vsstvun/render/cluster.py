"""The Ray side: start a local cluster or join one, and size the workers from its resources.

A GPU cluster gets one worker per GPU (Ray gives each task its own ``CUDA_VISIBLE_DEVICES``, so
``device_index`` in scripts keeps meaning "the first device I was given"); a CPU-only one gets
``--workers`` workers (default 1) that split the CPUs, each told so through ``OMP_NUM_THREADS``
so that the workers do not fight over the cores.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .tools import RenderError

#: Seconds to wait for a cluster's head before calling it unreachable (Ray itself retries for minutes).
_CONNECT_TIMEOUT = 10
#: Ray's raylet gives its Python agents 30 s to come up and aborts otherwise, which a busy
#: machine misses (seen at load 15 on 2 cores); a local cluster gets 2 minutes.
_AGENT_TIMEOUT_MS = "120000"
_QUIET = dict(logging_level=logging.WARNING, log_to_driver=False)


@dataclass(frozen=True)
class Workers:
    """How many chunks run at once and what each task asks Ray for."""

    count: int
    gpus: bool
    cpus_each: int = 1

    def task_options(self) -> dict[str, Any]:
        return dict(num_gpus=1, num_cpus=0) if self.gpus else dict(num_cpus=self.cpus_each)

    def env(self) -> tuple[tuple[str, str], ...]:
        return () if self.gpus else (("OMP_NUM_THREADS", str(self.cpus_each)),)

    def describe(self) -> str:
        if self.gpus:
            return f"{self.count} GPU worker(s), one GPU each"
        return f"{self.count} CPU worker(s), {self.cpus_each} CPU(s) each"


def size_workers(resources: dict[str, float], requested: int | None) -> Workers:
    """Workers for a cluster with ``resources`` (Ray's totals): one per GPU, else ``requested`` or 1."""
    if requested is not None and requested < 1:
        raise RenderError(f"--workers must be >= 1, got {requested}")
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return Workers(requested or gpus, gpus=True, cpus_each=0)
    count = requested or 1
    return Workers(count, gpus=False, cpus_each=max(1, int(resources.get("CPU", 1)) // count))


@contextmanager
def connect(address: str | None, workers: int | None) -> Iterator[Workers]:
    """Ray for the duration of the block: joins ``address``, or starts (and stops) a local cluster.

    A Ray session that is already initialised (by a caller, e.g. the tests) is used as it is.
    """
    try:
        import ray
    except ImportError:
        raise RenderError("Ray is not installed: pip install 'vsstvun[render]'") from None
    owned = not ray.is_initialized()
    if owned and address:
        _check_reachable(address)
        try:
            ray.init(address=address, **_QUIET)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ... depending on the failure
            raise RenderError(f"cannot join the Ray cluster at {address}: {exc}") from exc
    elif owned:
        start_local(max(os.cpu_count() or 1, workers or 0))
    try:
        yield size_workers(ray.cluster_resources(), workers)
    finally:
        if owned:
            ray.shutdown()


def start_local(num_cpus: int, attempts: int = 2) -> None:
    """Start a local Ray cluster of ``num_cpus`` CPUs (and the GPUs Ray finds), without the dashboard.

    Ray waits a fixed 30 s for its own processes and gives up on a busy machine; a second
    attempt usually finds the page cache warm and makes it.
    """
    import ray

    os.environ.setdefault("RAY_agent_register_timeout_ms", _AGENT_TIMEOUT_MS)  # read by the raylet it starts
    for attempt in range(1, attempts + 1):
        try:
            ray.init(num_cpus=num_cpus, include_dashboard=False, **_QUIET)
            return
        except Exception as exc:  # a raylet that dies while starting surfaces as a bare Exception
            ray.shutdown()
            if attempt == attempts:
                raise RenderError(
                    f"could not start a local Ray cluster ({attempts} attempts): {exc} "
                    "(logs: /tmp/ray/session_latest/logs)"
                ) from exc


def _check_reachable(address: str) -> None:
    """Fail fast with a clear message if ``host:port`` does not answer ("auto" is left to Ray)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise RenderError(
            f"cannot reach the Ray cluster at {address} ({exc}): is `ray start --head` running there, "
            "and is the port open from this machine?"
        ) from None
