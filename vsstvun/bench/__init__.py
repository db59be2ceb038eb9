"""Benchmark harness: speed and memory of STVUN, directly and through the VapourSynth filter.

Four modules: ``config`` (what a run measures, the named suites), ``measure`` (the sections:
cache payoff, limit, filter glue, backends, profile), ``report`` (results as markdown/JSON, the
machine: clock, memory, load, peak FLOP/s) and ``__main__`` (``python -m vsstvun.bench --help``).
The numbers feed docs/speed.md and the README, so every run records its settings.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .config import SUITES, BenchConfig
    from .measure import run_bench
    from .report import RunResult, markdown, write_json

__getattr__ = lazy_exports(
    __name__,
    {"SUITES": ".config", "BenchConfig": ".config", "run_bench": ".measure"}
    | dict.fromkeys(("RunResult", "markdown", "write_json"), ".report"),
)

__all__ = ["SUITES", "BenchConfig", "RunResult", "markdown", "run_bench", "write_json"]
