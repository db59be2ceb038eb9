"""Benchmark harness: speed and memory of STVUN, directly and through the VapourSynth filter.

One run measures (a) the payoff of the per-window cache, (b) the filter's glue overhead,
(c) torch vs CuPy warp/correlation on CUDA and (d) a per-stage profile; see ``python -m
vsstvun.bench --help``. The numbers feed the README, so every run records its settings.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .config import SUITES, BenchConfig
    from .report import RunResult, markdown, write_json
    from .run import run_bench

__getattr__ = lazy_exports(
    __name__,
    {"SUITES": ".config", "BenchConfig": ".config", "run_bench": ".run"}
    | dict.fromkeys(("RunResult", "markdown", "write_json"), ".report"),
)

__all__ = ["SUITES", "BenchConfig", "RunResult", "markdown", "run_bench", "write_json"]
