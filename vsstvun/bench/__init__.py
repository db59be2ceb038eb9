"""Benchmark harness: speed and memory of STVUN, directly and through the VapourSynth filter.

Four modules: ``config`` (what a run measures, the named suites), ``measure`` (the sections:
cache payoff, limit, filter glue, backends, profile), ``report`` (results as markdown/JSON, the
machine: clock, memory, load, peak FLOP/s) and ``__main__`` (``python -m vsstvun.bench --help``).
The numbers feed the README, so every run records its settings.
"""

from .config import SUITES, BenchConfig
from .measure import run_bench
from .report import RunResult, markdown, write_json

__all__ = ["SUITES", "BenchConfig", "RunResult", "markdown", "run_bench", "write_json"]
