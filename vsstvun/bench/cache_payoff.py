"""(a) What the per-window cache buys: encode once, then one decoder pass per output frame.

The cached path is what the filter does for the k output frames of one input frame:
``encode_window`` + k ``synthesize`` calls (t = j/k; t = 0 is a crop of the centre decode).
The uncached path makes every output frame a full ``forward`` pass, recomputing its window.
Each extra intermediate frame should cost about one decoder pass (``synthesize`` at t > 0).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from statistics import median

import torch

from ..model import STVUN
from .clock import Clock
from .memory import PeakMemory, PeakTracker
from .report import memory, ms, per_frame
from .runtime import Runtime, output_times

TITLE = "(a) cache payoff"


@dataclass(frozen=True)
class CachePayoff:
    title: str
    factor: int
    encode_ms: float
    """Median ``encode_window``."""
    synthesize_ms: float | None
    """Median ``synthesize`` at t > 0 (one decoder pass); None for factor 1."""
    cached_ms_per_frame: float
    uncached_ms_per_frame: float
    speedup: float
    """uncached / cached time per output frame."""
    peak_memory: PeakMemory

    def rows(self) -> list[tuple[str, str]]:
        synth = "n/a (factor 1)" if self.synthesize_ms is None else ms(self.synthesize_ms)
        k = self.factor
        return [
            ("encode_window (once per input frame)", ms(self.encode_ms)),
            ("synthesize t>0 (one decoder pass: cost of each extra frame)", synth),
            (f"cached: 1 window + {k} synthesize", per_frame(self.cached_ms_per_frame)),
            (f"uncached: {k} forward passes", per_frame(self.uncached_ms_per_frame)),
            ("cache speed-up", f"{self.speedup:.2f}x"),
            ("memory (cached path)", memory(self.peak_memory)),
        ]


def cached_window(model: STVUN, window: torch.Tensor, times: list[float], clock: Clock) -> tuple[float, list[float]]:
    """Seconds of one window's encode and of each of its ``synthesize`` calls."""
    state, encode_s = clock.timed(lambda: model.encode_window(window))
    return encode_s, [clock.timed(functools.partial(model.synthesize, state, t))[1] for t in times]


def uncached_window(model: STVUN, window: torch.Tensor, times: list[float], clock: Clock) -> float:
    """Seconds for the same frames when each is a full forward pass (centre only for t = 0)."""
    return clock.timed(lambda: [model(window, [t] if t else []) for t in times])[1]


def cached_ms_per_frame(runs: list[list[tuple[float, list[float]]]]) -> list[float]:
    """Per repeat, ms per output frame of the cached path from :func:`cached_window` results."""
    return [1000 * sum(e + sum(s) for e, s in rep) / sum(len(s) for _, s in rep) for rep in runs]


@torch.inference_mode()
def cache_payoff(rt: Runtime) -> CachePayoff:
    model, window, clock = rt.model, rt.window(), rt.clock
    times = output_times(rt.config.factor)
    with PeakTracker(rt.device) as peak:
        cached = rt.repeat(lambda: cached_window(model, window, times, clock), "cached")
    uncached = rt.repeat(lambda: uncached_window(model, window, times, clock), "uncached", warm=False)
    n_frames = rt.config.frames * len(times)
    cached_ms = median(cached_ms_per_frame(cached))
    uncached_ms = median(1000 * sum(rep) / n_frames for rep in uncached)
    synth = [s for rep in cached for _, ss in rep for t, s in zip(times, ss, strict=True) if t > 0]
    return CachePayoff(
        title=TITLE,
        factor=rt.config.factor,
        encode_ms=1000 * median(e for rep in cached for e, _ in rep),
        synthesize_ms=1000 * median(synth) if synth else None,
        cached_ms_per_frame=cached_ms,
        uncached_ms_per_frame=uncached_ms,
        speedup=uncached_ms / cached_ms,
        peak_memory=peak.result,
    )
