"""(b) What the VapourSynth glue costs: the ``stvun`` filter vs the same model calls made directly.

Both sides load the same weights file the same way (no channels_last / compile: the filter
does not use them) and do the same model work: one ``encode_window`` per source frame and one
``synthesize`` per output frame, at the times :class:`vsstvun.filter.timing.Timing` assigns (so the
tail frames after the last source frame are the same cheap t = 0 crops on both sides).
The direct loop keeps its frames on the device; the filter's overhead therefore includes the
device-to-host copy, frame fetching, scene-change checks and VapourSynth's scheduling.
Filter and direct passes alternate within each repeat, so load changes on the machine hit
both alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import TYPE_CHECKING

import torch

from ..filter.timing import Timing
from ..model import STVUN
from .clock import Clock
from .memory import PeakMemory, PeakTracker
from .report import Skipped, memory, per_frame
from .runtime import Runtime

if TYPE_CHECKING:
    from vapoursynth import VideoNode

TITLE = "(b) filter vs direct"


@dataclass(frozen=True)
class FilterGlue:
    title: str
    source_frames: int
    output_frames: int
    filter_ms_per_frame: float
    direct_ms_per_frame: float
    overhead_pct: float
    """(filter time / direct time - 1) * 100, from the two medians."""
    vs_threads: int
    peak_memory: PeakMemory
    """Largest peak of the filter passes (after its model load)."""

    def rows(self) -> list[tuple[str, str]]:
        clip = f"{self.source_frames} -> {self.output_frames} frames"
        return [
            (
                f"vsstvun.stvun, all output frames ({clip}, {self.vs_threads} VS threads)",
                per_frame(self.filter_ms_per_frame),
            ),
            ("direct encode_window + synthesize loop", per_frame(self.direct_ms_per_frame)),
            ("glue overhead", f"{self.overhead_pct:+.1f} %"),
            ("memory (filter)", memory(self.peak_memory)),
        ]


def window_at(source: torch.Tensor, centre: int, n_frames: int) -> torch.Tensor:
    """The ``(1, n, 3, H, W)`` window around ``centre``, edge-replicated like the filter's."""
    half = n_frames // 2
    idx = (torch.arange(-half, half + 1) + centre).clamp(0, source.shape[0] - 1)
    return source[idx.to(source.device)].unsqueeze(0)


def direct_clip(model: STVUN, source: torch.Tensor, timing: Timing) -> None:
    """All output frames of ``source`` through the model, one encode per window."""
    centre, state = None, None
    for n in range(timing.length):
        pos = timing.position(n)
        if pos.source != centre:
            centre, state = pos.source, model.encode_window(window_at(source, pos.source, model.config.n_frames))
        model.synthesize(state, float(pos.tin))


def _filter_pass(make_node: Callable[[], VideoNode], clock: Clock, device: torch.device) -> tuple[float, PeakMemory]:
    node = make_node()  # loads the network: setup, not per-frame cost
    with PeakTracker(device) as peak:
        _, seconds = clock.timed(lambda: sum(1 for _ in node.frames(close=True)))
    return seconds, peak.result


@torch.inference_mode()
def filter_glue(rt: Runtime) -> FilterGlue | Skipped:
    try:
        import vapoursynth as vs

        from ..filter.plugin import stvun
    except ImportError as exc:
        return Skipped(TITLE, f"the VapourSynth filter is not importable ({exc})")
    if rt.device.type == "cpu" and torch.cuda.is_available():
        return Skipped(
            TITLE, "the filter always picks CUDA when it is available, so it cannot be timed on the CPU here"
        )
    cfg = rt.config
    width, height = cfg.size
    clip = vs.core.std.BlankClip(
        width=width,
        height=height,
        length=cfg.frames,
        color=[0.5, 0.5, 0.5],
        format=vs.RGBH if rt.dtype == torch.float16 else vs.RGBS,
    )

    def make_node() -> VideoNode:
        return stvun(
            clip,
            scale=cfg.scale,
            factor_num=cfg.factor,
            model_path=str(rt.weights),
            device_index=rt.device.index if rt.device.type == "cuda" else None,
        )

    timing = Timing(cfg.frames, Fraction(cfg.factor))
    direct = rt.load_network(channels_last=False, compile=False)
    source = rt.frames(cfg.frames)
    clock = rt.clock

    def both() -> tuple[float, PeakMemory, float]:
        filter_s, peak = _filter_pass(make_node, clock, rt.device)
        return filter_s, peak, clock.timed(lambda: direct_clip(direct, source, timing))[1]

    # (a) has just warmed these shapes on the plain network unless it ran a tuned one.
    warm = cfg.channels_last or cfg.compile
    runs = [rep[0] for rep in rt.repeat(both, "filter vs direct", windows=1, warm=warm)]
    filter_ms = 1000 * median(f for f, _, _ in runs) / timing.length
    direct_ms = 1000 * median(d for _, _, d in runs) / timing.length
    return FilterGlue(
        title=TITLE,
        source_frames=cfg.frames,
        output_frames=timing.length,
        filter_ms_per_frame=filter_ms,
        direct_ms_per_frame=direct_ms,
        overhead_pct=100 * (filter_ms / direct_ms - 1),
        vs_threads=vs.core.num_threads,
        peak_memory=max((p for _, p, _ in runs), key=lambda p: p.peak_mib),
    )
