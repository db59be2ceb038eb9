"""(d) Where the time of one window + k frames goes: encoder, EFST, flow, decoder, warp.

Stages are timed in place on the real ``encode_window``/``synthesize`` calls -- forward hooks
on the four sub-modules, and a wrapper around the instance's ``_warp_to_time`` (flow-to-time,
the two feature warps and the blend of ``synthesize``) -- so nothing of the model is
re-implemented here. PWC-Net's own internal warps count as flow. ``other`` is the rest
(normalisation, padding, upsampling, cropping). The clock synchronises CUDA at every stage
boundary, which costs a little throughput but bills each kernel to its own stage.
With ``--compile`` the profile runs on an eager copy: hooks inside compiled code would only
break its graphs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from ..model import STVUN
from .cache_payoff import cached_window
from .clock import Clock
from .report import ms
from .runtime import Runtime, output_times

TITLE = "(d) profile"
#: Stage name -> STVUN sub-module.
MODULE_STAGES = {"encoder": "encoder", "EFST": "efst", "flow (PWC-Net)": "pwcnet", "decoder": "decoder"}
WARP_STAGE = "warp (synthesize)"


@dataclass(frozen=True)
class StageTime:
    total_ms: float
    """Total over the profiled passes."""
    calls: int
    """Calls over all passes (0 for ``other``, which is not a call)."""
    percent: float


@dataclass(frozen=True)
class Profile:
    title: str
    passes: int
    """How many window + k frames passes were summed."""
    total_ms: float
    stages: dict[str, StageTime]
    decoder_pass_ms: float

    def rows(self) -> list[tuple[str, str]]:
        rows = [("one pass: encode_window + a synthesize per output frame", ms(self.total_ms / self.passes))]
        for name, s in self.stages.items():
            calls = f", {s.calls // self.passes} calls" if s.calls else ""
            rows.append((name, f"{s.percent:.1f} % ({ms(s.total_ms / self.passes)} per pass{calls})"))
        rows.append(("one decoder pass", ms(self.decoder_pass_ms)))
        return rows


class _Stage:
    """Accumulates wall time between ``start`` and ``stop`` (calls never nest within a stage)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.seconds = 0.0
        self.calls = 0
        self._t0 = 0.0

    def start(self, *_: Any) -> None:
        self._t0 = self.clock.now()

    def stop(self, *_: Any) -> None:
        self.seconds += self.clock.now() - self._t0
        self.calls += 1


@contextmanager
def stage_timers(model: STVUN, clock: Clock) -> Iterator[dict[str, _Stage]]:
    """Time the model's stages while the block runs; hooks and wrapper are removed after."""
    stages = {name: _Stage(clock) for name in (*MODULE_STAGES, WARP_STAGE)}
    handles = []
    for name, attr in MODULE_STAGES.items():
        module = getattr(model, attr)
        handles.append(module.register_forward_pre_hook(stages[name].start))
        handles.append(module.register_forward_hook(stages[name].stop))
    warp = stages[WARP_STAGE]
    original: Callable[..., Any] = model._warp_to_time

    def timed_warp(*args: Any, **kwargs: Any) -> Any:
        warp.start()
        try:
            return original(*args, **kwargs)
        finally:
            warp.stop()

    model._warp_to_time = timed_warp  # instance attribute shadows the method
    try:
        yield stages
    finally:
        del model._warp_to_time
        for handle in handles:
            handle.remove()


@torch.inference_mode()
def breakdown(rt: Runtime) -> Profile:
    cfg = rt.config
    window, times, clock = rt.window(), output_times(cfg.factor), rt.clock
    if cfg.compile:
        model = rt.load_network(channels_last=cfg.channels_last, compile=False)
        rt.warm_up(lambda: cached_window(model, window, times, clock), "profile")
    else:
        model = rt.model  # already warm from the earlier sections

    def one_pass() -> float:
        return clock.timed(lambda: cached_window(model, window, times, clock))[1]

    with stage_timers(model, clock) as stages:
        total = sum(s for rep in rt.repeat(one_pass, "profile", windows=1, warm=False) for s in rep)
    return _profile(stages, total, cfg.repeats)


def _profile(stages: dict[str, _Stage], total: float, passes: int) -> Profile:
    other = total - sum(s.seconds for s in stages.values())
    seconds = {name: (s.seconds, s.calls) for name, s in stages.items()} | {"other": (other, 0)}
    return Profile(
        title=TITLE,
        passes=passes,
        total_ms=1000 * total,
        stages={name: StageTime(1000 * sec, calls, 100 * sec / total) for name, (sec, calls) in seconds.items()},
        # The centre decode in encode_window and each t > 0 decode have the same shapes and cost.
        decoder_pass_ms=1000 * stages["decoder"].seconds / stages["decoder"].calls,
    )
