"""One benchmark run: prepare the runtime, run the four sections, describe the environment."""

from __future__ import annotations

import dataclasses
import os
import platform
from collections.abc import Callable
from pathlib import Path

import torch

from ..model.ops import warp
from .backends import backends
from .breakdown import breakdown
from .cache_payoff import cache_payoff
from .config import BenchConfig
from .filter_glue import filter_glue
from .report import RunResult, Section
from .runtime import Runtime, open_runtime

#: Report key -> section; (a) runs first and warms the shared network for the others.
SECTIONS: dict[str, Callable[[Runtime], Section]] = {
    "cache_payoff": cache_payoff,
    "filter_glue": filter_glue,
    "backends": backends,
    "profile": breakdown,
}


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    return models[0] if models else platform.machine()


def _environment(rt: Runtime) -> dict[str, object]:
    return {
        "device": _device_name(rt.device),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        # Other work on the machine (e.g. a training job) slows CPU numbers: record it with them.
        "load_average_1min": round(os.getloadavg()[0], 2),
        # What "auto" resolves to for this run's tensors.
        "warp_backend": "cupy" if warp.use_cupy(torch.empty(0, device=rt.device)) else "torch",
        "cupy": warp.cupy_available(),
    }


def _notes(rt: Runtime, env: dict[str, object]) -> list[str]:
    cfg, net = rt.config, rt.model.config
    weights = (
        f"random init of the {net.preset} preset (speed does not depend on the weights)"
        if rt.random_init
        else f"{rt.weights} ({net.preset} x{net.scale})"
    )
    return [
        f"weights: {weights}",
        f"device: {env['device']}, {env['torch_threads']} torch threads ({env['cpu_count']} CPUs, load average "
        f"{env['load_average_1min']} at start), torch {env['torch']}, warp backend {env['warp_backend']}",
        f"warm-up {cfg.warmup}, repeats {cfg.repeats} (medians reported), {cfg.frames} input frames per repeat, "
        "torch.inference_mode",
    ]


def run_bench(config: BenchConfig, progress: bool = False) -> RunResult:
    """Measure everything for one config."""
    with open_runtime(config, progress) as rt:
        env = _environment(rt)
        result = RunResult(config.title(), dataclasses.asdict(config), env, _notes(rt, env))
        for key, section in SECTIONS.items():
            result.sections[key] = section(rt)
        return result
