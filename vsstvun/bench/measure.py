"""The measurements of one benchmark run, in the order they run.

(a) cache payoff: what the per-window cache buys. The cached path is what the filter does for
    the k output frames of one input frame, ``encode_window`` + k ``synthesize`` (t = 0 is a crop
    of the centre decode); the uncached path makes every output frame a full ``forward`` pass.
    Each extra in-between frame should cost about one decoder pass.
(e) limit: FLOPs per output frame of the cached path, counted by
    :class:`torch.utils.flop_counter.FlopCounterMode` on a real pass, the FLOP/s (a) achieved and
    their fraction of the machine's peak for the run's precision (:func:`report.peak_gflops`).
(b) filter glue: the ``stvun`` filter vs the same model calls made directly, from the same
    weights file; the overhead includes the device-to-host copy, frame fetching, scene-change
    checks and VapourSynth's scheduling (and tiling / streams when the run sets them).
(c) backends: torch ``grid_sample`` vs the CuPy kernels at the model's largest warp and
    cost-volume shapes, then the whole model (CUDA and CuPy only).
(d) profile: encoder, EFST, flow, decoder and warp timed in place by forward hooks and a wrapper
    around ``_warp_to_time``, so nothing of the model is re-implemented here.

The weights always come from a file -- ``--model-path`` or a random-init checkpoint of the preset
(speed does not depend on the values of a dense network) -- so the direct model and the filter
load the very same network through :func:`vsstvun.weights.load_model`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.flop_counter import FlopCounterMode
from tqdm import tqdm

from ..filter.timing import Timing
from ..model import SIZE_MULTIPLE, STVUN, build_model
from ..model.checkpoint import save_checkpoint
from ..model.ops import warp
from ..model.ops.correlation import correlation
from ..model.precision import DTYPES, input_dtype, resolve_precision
from ..weights import load_model
from .config import BenchConfig
from .report import (
    Clock,
    PeakMemory,
    PeakTracker,
    RunResult,
    Section,
    Skipped,
    cpu_info,
    load_average,
    memory,
    ms,
    peak_gflops,
    per_frame,
)

if TYPE_CHECKING:
    from vapoursynth import VideoNode


def output_times(factor: int) -> list[float]:
    """The times of one window's k output frames, as the filter asks for them (t = 0: X3 itself)."""
    return [j / factor for j in range(factor)]


# --- the prepared run -------------------------------------------------------------------------


@dataclass
class Runtime:
    """A prepared benchmark run; obtain one with :func:`open_runtime`."""

    config: BenchConfig
    device: torch.device
    precision: str
    """The concrete precision ("auto" resolved for this device)."""
    weights: Path
    random_init: bool
    progress: bool = False

    @property
    def clock(self) -> Clock:
        return Clock(self.device)

    @property
    def io_dtype(self) -> torch.dtype:
        return input_dtype(DTYPES[self.precision])

    @functools.cached_property
    def model(self) -> STVUN:
        """The network with the run's speed flags (channels_last, torch.compile) applied."""
        return self.load_network(channels_last=self.config.channels_last, compile=self.config.compile)

    def eager_model(self) -> STVUN:
        """The run's network without compilation (hooks and flop counting break compiled graphs)."""
        if not self.config.compile:
            return self.model
        return self.load_network(channels_last=self.config.channels_last, compile=False)

    def load_network(self, *, channels_last: bool, compile: bool) -> STVUN:
        """A fresh inference network from the run's weights file, optionally tuned for speed.

        Compilation is per sub-module so that ``encode_window``/``synthesize`` (not ``forward``)
        benefit and the output time ``t``, a Python float, never becomes a graph constant.
        """
        cfg = self.config
        net = load_model(cfg.preset, cfg.scale, self.weights, self.device, self.precision)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        if compile:
            for module in (net.encoder, net.efst, net.decoder, net.pwcnet):
                module.compile()
        return net

    def frames(self, n: int) -> torch.Tensor:
        """``n`` random ``(3, H, W)`` frames on the run's device, in the network's input format
        (a fixed seed keeps runs comparable, though content does not change a dense net's speed)."""
        width, height = self.config.size
        gen = torch.Generator().manual_seed(0)
        return torch.rand(n, 3, height, width, generator=gen).to(self.device, self.io_dtype)

    def window(self) -> torch.Tensor:
        """A random ``(1, 7, 3, H, W)`` model input."""
        return self.frames(self.model.config.n_frames).unsqueeze(0)

    def iterate[T](self, items: Iterable[T], desc: str) -> Iterable[T]:
        """``items`` with a progress bar when enabled (long CPU loops take minutes)."""
        return tqdm(items, desc=desc, leave=False, disable=not self.progress)

    def warm_up(self, one: Callable[[], object], desc: str) -> None:
        """``warmup`` untimed calls: kernel selection, allocator growth, compilation."""
        for _ in self.iterate(range(self.config.warmup), f"{desc}: warm-up"):
            one()

    def repeat[T](
        self, one: Callable[[], T], desc: str, windows: int | None = None, warm: bool = True
    ) -> list[list[T]]:
        """``warmup`` untimed calls of ``one``, then ``repeats`` x ``windows`` recorded calls.

        ``windows`` defaults to the config's ``frames`` (one window per input frame); ``warm=False``
        skips the warm-up when the caller just ran the same modules at the same shapes.
        """
        cfg = self.config
        windows = cfg.frames if windows is None else windows
        if warm:
            self.warm_up(one, desc)
        return [
            [one() for _ in self.iterate(range(windows), f"{desc}: repeat {r + 1}/{cfg.repeats}")]
            for r in range(cfg.repeats)
        ]


def _device(name: str) -> torch.device:
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda asked for, but torch sees no CUDA device")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device(name)


@contextmanager
def open_runtime(config: BenchConfig, progress: bool = False) -> Iterator[Runtime]:
    """Prepare a run: device, precision, warp backend (restored afterwards) and weights file."""
    device = _device(config.device)
    previous = warp.get_backend()
    warp.set_backend(config.backend)
    try:
        with tempfile.TemporaryDirectory(prefix="vsstvun-bench-") as tmp:
            if config.model_path is None:
                torch.manual_seed(0)
                weights = save_checkpoint(
                    build_model(config.preset, config.scale),
                    Path(tmp) / f"random_{config.preset}_x{config.scale}.safetensors",
                )
            else:
                weights = Path(config.model_path)
            precision = resolve_precision(config.precision, device)
            yield Runtime(config, device, precision, weights, config.model_path is None, progress)
    finally:
        warp.set_backend(previous)


# --- (a) cache payoff -------------------------------------------------------------------------


#: One window's timings: its encode, then per output time its ``synthesize``, its
#: ``warp_between`` (``temporal="warp"``) and its ``fuse_between`` (``temporal="fuse"``; empty
#: for weights without a fusion head), then its ``pair_flows`` (what the fuse frames of one pair
#: of windows share, computed once as the filter does; 0 without a head). The window stands in
#: for its neighbour: same shapes.
WindowTimes = tuple[float, list[float], list[float], list[float], float]
#: Where each ``temporal`` mode's in-between times are in :data:`WindowTimes`.
_PICK = {"joint": 1, "warp": 2, "fuse": 3}


def cached_window(
    model: STVUN, window: torch.Tensor, times: list[float], clock: Clock, fuse: bool = False
) -> WindowTimes:
    """Seconds of one window's encode and of each of its ``synthesize``, ``warp_between`` and
    (``fuse``: the cache payoff, for weights with a fusion head) ``fuse_between`` calls, those
    given the ``pair_flows`` timed once before them (as the filter shares them per pair). The
    profile and the backends time this too, as a window plus its decoder passes; they leave
    ``fuse`` off."""
    state, encode_s = clock.timed(lambda: model.encode_window(window))
    synth = [clock.timed(functools.partial(model.synthesize, state, t))[1] for t in times]
    warps = [clock.timed(functools.partial(model.warp_between, state, state, t))[1] for t in times]
    # the filter computes a pair's flows only when it makes frames between two windows
    pair, pair_s = clock.timed(lambda: model.pair_flows(state, state)) if fuse and any(times) else (None, 0.0)
    fuses = [clock.timed(lambda t=t: model.fuse_between(state, state, t, dis=pair))[1] for t in times] if fuse else []
    return encode_s, synth, warps, fuses, pair_s


def cached_ms_per_frame(runs: list[list[WindowTimes]], temporal: str = "joint") -> list[float]:
    """Per repeat, ms per output frame of the cached path from :func:`cached_window` results,
    with in-between frames from ``synthesize`` (joint), ``warp_between`` (warp) or
    ``fuse_between`` (fuse)."""
    pick = _PICK[temporal]
    shared = temporal == "fuse"  # each pair's DIS flows, once for all its frames
    return [1000 * sum(w[0] + sum(w[pick]) + shared * w[4] for w in rep) / sum(len(w[1]) for w in rep) for rep in runs]


@dataclass(frozen=True)
class CachePayoff:
    title: str
    factor: int
    encode_ms: float
    """Median ``encode_window``."""
    synthesize_ms: float | None
    """Median ``synthesize`` at t > 0 (one decoder pass); None for factor 1."""
    warp_ms: float | None
    """Median ``warp_between`` at t > 0 (two HR warps); None for factor 1."""
    cached_ms_per_frame: float
    warp_ms_per_frame: float
    """The cached path with ``temporal="warp"``."""
    uncached_ms_per_frame: float
    speedup: float
    """uncached / cached time per output frame."""
    peak_memory: PeakMemory
    fuse_ms: float | None = None
    """Median ``fuse_between`` at t > 0 (a decoder pass, HR warps, the head); None without a
    fusion head or for factor 1."""
    pair_ms: float | None = None
    """Median ``pair_flows`` (DIS both ways for a head with that candidate, once per pair of
    windows); None without a fusion head."""
    fuse_ms_per_frame: float | None = None
    """The cached path with ``temporal="fuse"`` (None without a fusion head)."""

    def rows(self) -> list[tuple[str, str]]:
        synth, warp = ("n/a (factor 1)" if v is None else ms(v) for v in (self.synthesize_ms, self.warp_ms))
        k = self.factor
        fuse = []
        if self.fuse_ms_per_frame is not None:
            fuse_ms = "n/a (factor 1)" if self.fuse_ms is None else ms(self.fuse_ms)
            fuse = [
                ("pair_flows (temporal='fuse': DIS both ways, once per pair of windows)", ms(self.pair_ms or 0.0)),
                ("fuse_between t>0 (temporal='fuse': decoder pass, warps, head)", fuse_ms),
                (
                    f"cached, temporal='fuse': 1 window + 1 pair_flows + {k} fuse_between",
                    per_frame(self.fuse_ms_per_frame),
                ),
            ]
        return [
            ("encode_window (once per input frame)", ms(self.encode_ms)),
            ("synthesize t>0 (one decoder pass: cost of each extra frame)", synth),
            ("warp_between t>0 (temporal='warp': two HR warps instead)", warp),
            (f"cached: 1 window + {k} synthesize", per_frame(self.cached_ms_per_frame)),
            (f"cached, temporal='warp': 1 window + {k} warp_between", per_frame(self.warp_ms_per_frame)),
            *fuse,
            (f"uncached: {k} forward passes", per_frame(self.uncached_ms_per_frame)),
            ("cache speed-up", f"{self.speedup:.2f}x"),
            ("memory (cached path)", memory(self.peak_memory)),
        ]


@torch.inference_mode()
def cache_payoff(rt: Runtime) -> CachePayoff:
    model, window, clock = rt.model, rt.window(), rt.clock
    times = output_times(rt.config.factor)
    fused = model.fusion is not None
    with PeakTracker(rt.device) as peak:
        cached = rt.repeat(lambda: cached_window(model, window, times, clock, fused), "cached")

    def uncached_window() -> float:
        return clock.timed(lambda: [model(window, [t] if t else []) for t in times])[1]

    uncached = rt.repeat(uncached_window, "uncached", warm=False)
    cached_ms = median(cached_ms_per_frame(cached))
    uncached_ms = median(1000 * sum(rep) / (len(rep) * len(times)) for rep in uncached)
    between = [t > 0 for t in times]

    def in_between(temporal: str) -> float | None:
        # not strict: a mode the weights lack (fuse without a head) has no times at all
        values = [v for rep in cached for w in rep for v, b in zip(w[_PICK[temporal]], between, strict=False) if b]
        return 1000 * median(values) if values else None

    return CachePayoff(
        title="(a) cache payoff",
        factor=rt.config.factor,
        encode_ms=1000 * median(w[0] for rep in cached for w in rep),
        synthesize_ms=in_between("joint"),
        warp_ms=in_between("warp"),
        cached_ms_per_frame=cached_ms,
        warp_ms_per_frame=median(cached_ms_per_frame(cached, "warp")),
        uncached_ms_per_frame=uncached_ms,
        speedup=uncached_ms / cached_ms,
        peak_memory=peak.result,
        fuse_ms=in_between("fuse"),
        pair_ms=1000 * median(w[4] for rep in cached for w in rep) if fused else None,
        fuse_ms_per_frame=median(cached_ms_per_frame(cached, "fuse")) if fused else None,
    )


# --- (e) limit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    title: str
    gflop_per_frame: float
    """Counted FLOPs of one window + k synthesize, divided by k (convolutions dominate)."""
    warp_gflop_per_frame: float
    """The same with ``temporal="warp"``: the window's FLOPs over k."""
    achieved_gflops: float
    """``gflop_per_frame`` / (a)'s cached time per frame."""
    peak_gflops: float | None
    peak_note: str
    """How the peak was obtained, or why it is unknown."""

    @property
    def fraction(self) -> float | None:
        return None if self.peak_gflops is None else self.achieved_gflops / self.peak_gflops

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("FLOPs per output frame (counted: torch FlopCounterMode)", f"{self.gflop_per_frame:.1f} GFLOP"),
            ("FLOPs per output frame, temporal='warp' (counted)", f"{self.warp_gflop_per_frame:.1f} GFLOP"),
            ("achieved (cached path)", f"{self.achieved_gflops:.1f} GFLOP/s"),
        ]
        if self.peak_gflops is None:
            return [*rows, ("machine peak", self.peak_note)]
        return [
            *rows,
            ("machine peak for this precision", f"{self.peak_gflops:.0f} GFLOP/s ({self.peak_note})"),
            ("fraction of peak", f"{100 * (self.fraction or 0):.1f} %"),
        ]


def count_gflop_per_frame(model: STVUN, window: torch.Tensor, factor: int, temporal: str = "joint") -> float:
    """Counted GFLOP of one cached window (encode + ``factor`` synthesize, or ``warp_between``
    with ``temporal="warp"``, whose warps count nothing: no convolution) per output frame."""
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        state = model.encode_window(window)
        for t in output_times(factor):
            model.synthesize(state, t) if temporal == "joint" else model.warp_between(state, state, t)
    return counter.get_total_flops() / factor / 1e9


def limit(rt: Runtime, ms_per_frame: float) -> Limit:
    model, window, factor = rt.eager_model(), rt.window(), rt.config.factor
    gflop, warp_gflop = (count_gflop_per_frame(model, window, factor, temporal) for temporal in ("joint", "warp"))
    threads = torch.get_num_threads()
    peak = peak_gflops(rt.device, DTYPES[rt.precision], threads, rt.config.peak_gflops)
    if isinstance(peak, str):
        peak_value, note = None, peak
    elif rt.config.peak_gflops is not None or rt.device.type == "cuda":
        peak_value, note = peak, "given" if rt.config.peak_gflops is not None else "SMs x clock x FLOP/cycle"
    else:
        _, ghz, _ = cpu_info()
        peak_value, note = peak, f"{threads} cores x {ghz:.2f} GHz x {peak / threads / (ghz or 1):.0f} FLOP/cycle"
    return Limit("(e) limit", gflop, warp_gflop, gflop / (ms_per_frame / 1000), peak_value, note)


# --- (b) filter glue --------------------------------------------------------------------------


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


@torch.inference_mode()
def filter_glue(rt: Runtime) -> FilterGlue | Skipped:
    title = "(b) filter vs direct"
    try:
        import vapoursynth as vs

        from ..filter.plugin import stvun
    except ImportError as exc:
        return Skipped(title, f"the VapourSynth filter is not importable ({exc})")
    if rt.device.type == "cpu" and torch.cuda.is_available():
        return Skipped(
            title, "the filter always picks CUDA when it is available, so it cannot be timed on the CPU here"
        )
    cfg, clock = rt.config, rt.clock
    width, height = cfg.size
    fmt = vs.RGBH if rt.io_dtype == torch.float16 else vs.RGBS
    clip = vs.core.std.BlankClip(width=width, height=height, length=cfg.frames, color=[0.5] * 3, format=fmt)

    def make_node() -> VideoNode:  # loads the network: setup, not per-frame cost
        return stvun(
            clip,
            scale=cfg.scale,
            factor_num=cfg.factor,
            model_path=str(rt.weights),
            device_index=rt.device.index if rt.device.type == "cuda" else None,
            precision=rt.precision,
            num_streams=cfg.num_streams,
            tiles=cfg.tiles,
        )

    timing = Timing(cfg.frames, Fraction(cfg.factor))
    direct = rt.load_network(channels_last=False, compile=False)
    source = rt.frames(cfg.frames)

    def both() -> tuple[float, PeakMemory, float]:
        node = make_node()
        with PeakTracker(rt.device) as peak:
            _, filter_s = clock.timed(lambda: sum(1 for _ in node.frames(close=True)))
        return filter_s, peak.result, clock.timed(lambda: direct_clip(direct, source, timing))[1]

    # (a) has just warmed these shapes on the plain network unless it ran a tuned one.
    warm = cfg.channels_last or cfg.compile
    runs = [rep[0] for rep in rt.repeat(both, "filter vs direct", windows=1, warm=warm)]
    filter_ms = 1000 * median(f for f, _, _ in runs) / timing.length
    direct_ms = 1000 * median(d for _, _, d in runs) / timing.length
    return FilterGlue(
        title=title,
        source_frames=cfg.frames,
        output_frames=timing.length,
        filter_ms_per_frame=filter_ms,
        direct_ms_per_frame=direct_ms,
        overhead_pct=100 * (filter_ms / direct_ms - 1),
        vs_threads=vs.core.num_threads,
        peak_memory=max((p for _, p, _ in runs), key=lambda p: p.peak_mib),
    )


# --- (c) backends -----------------------------------------------------------------------------

BACKEND_NAMES = ("torch", "cupy")
#: Kernel calls per timed repeat: one call is microseconds, too short for a wall clock alone.
_CALLS = 20


@dataclass(frozen=True)
class KernelTiming:
    op: str
    shape: tuple[int, ...]
    ms: dict[str, float]
    """Median ms per call for each backend."""


@dataclass(frozen=True)
class Backends:
    title: str
    kernels: list[KernelTiming]
    model_ms_per_frame: dict[str, float]
    """Cached path (window + k frames) per backend."""

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for k in self.kernels:
            times = ", ".join(f"{name} {ms(v)}" for name, v in k.ms.items())
            speedup = k.ms["torch"] / k.ms["cupy"]
            rows.append((f"{k.op} {'x'.join(map(str, k.shape))}", f"{times} (CuPy {speedup:.2f}x)"))
        rows += [(f"whole model, {name} backend", per_frame(v)) for name, v in self.model_ms_per_frame.items()]
        return rows


def kernel_cases(rt: Runtime) -> dict[str, tuple[Callable[..., torch.Tensor], tuple[torch.Tensor, ...]]]:
    """``name -> (op, inputs)`` at the model's largest shapes for this run: the synthesize warp
    (all feature levels plus the LR frame, padded LR size) and PWC-Net's finest cost volume (both
    flow directions in one batch; PWC-Net sees the LR frames upsampled x4, its level 2 is 1/4)."""
    cfg = rt.model.config
    width, height = rt.config.size
    hp, wp = -(-height // SIZE_MULTIPLE) * SIZE_MULTIPLE, -(-width // SIZE_MULTIPLE) * SIZE_MULTIPLE
    gen = torch.Generator().manual_seed(0)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen).to(rt.device, rt.io_dtype)

    feats = rand(1, cfg.levels * cfg.enc_ch + 3, hp, wp)
    pyramid = [rand(2, cfg.pwc_channels[1], hp, wp) for _ in range(2)]
    return {
        "backward_warp": (warp.backward_warp, (feats, 4 * rand(1, 2, hp, wp))),
        "correlation": (lambda a, b: correlation(a, b, cfg.pwc_md), tuple(pyramid)),
    }


@torch.inference_mode()
def backends(rt: Runtime) -> Backends | Skipped:
    title = "(c) torch vs CuPy"
    if rt.device.type != "cuda" or not warp.cupy_available():
        return Skipped(title, "needs --device cuda and CuPy (pip install 'vsstvun[cuda]')")
    clock, window, times = rt.clock, rt.window(), output_times(rt.config.factor)

    def kernel_ms(op: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...]) -> float:
        def calls() -> float:
            return clock.timed(lambda: [op(*inputs) for _ in range(_CALLS)])[1]

        return 1000 * median(s for rep in rt.repeat(calls, "kernel", windows=1) for s in rep) / _CALLS

    kernels: list[KernelTiming] = []
    model_ms: dict[str, float] = {}
    try:
        for name, (op, inputs) in kernel_cases(rt).items():
            timings = {}
            for backend in BACKEND_NAMES:
                warp.set_backend(backend)
                timings[backend] = kernel_ms(op, inputs)
            kernels.append(KernelTiming(name, tuple(inputs[0].shape), timings))
        for backend in BACKEND_NAMES:
            warp.set_backend(backend)
            runs = rt.repeat(lambda: cached_window(rt.model, window, times, clock), "model")
            model_ms[backend] = median(cached_ms_per_frame(runs))
    finally:
        warp.set_backend(rt.config.backend)
    return Backends(title, kernels, model_ms)


# --- (d) profile ------------------------------------------------------------------------------

#: Stage name -> STVUN sub-module. PWC-Net's own internal warps count as flow.
MODULE_STAGES = {"encoder": "encoder", "EFST": "efst", "flow (PWC-Net)": "pwcnet", "decoder": "decoder"}
#: Flow-to-time, the two feature warps and the blend of ``synthesize``.
WARP_STAGE = "warp (synthesize)"


@dataclass(frozen=True)
class StageTime:
    total_ms: float
    """Total over the profiled passes."""
    calls: int
    """Calls over all passes (0 for ``other``: normalisation, padding, upsampling, cropping)."""
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
    """Time the model's stages while the block runs; hooks and wrapper are removed after.

    The clock synchronises CUDA at every stage boundary: a little throughput for billing each
    kernel to its own stage.
    """
    stages = {name: _Stage(clock) for name in (*MODULE_STAGES, WARP_STAGE)}
    handles = []
    for name, attr in MODULE_STAGES.items():
        module = getattr(model, attr)
        handles.append(module.register_forward_pre_hook(stages[name].start))
        handles.append(module.register_forward_hook(stages[name].stop))
    original: Callable[..., Any] = model._warp_to_time

    def timed_warp(*args: Any, **kwargs: Any) -> Any:
        stages[WARP_STAGE].start()
        try:
            return original(*args, **kwargs)
        finally:
            stages[WARP_STAGE].stop()

    model._warp_to_time = timed_warp  # instance attribute shadows the method
    try:
        yield stages
    finally:
        del model._warp_to_time
        for handle in handles:
            handle.remove()


@torch.inference_mode()
def profile(rt: Runtime) -> Profile:
    window, times, clock = rt.window(), output_times(rt.config.factor), rt.clock
    model = rt.eager_model()
    if rt.config.compile:  # a fresh eager copy: warm it (the shared network is warm already)
        rt.warm_up(lambda: cached_window(model, window, times, clock), "profile")

    def one_pass() -> float:
        return clock.timed(lambda: cached_window(model, window, times, clock))[1]

    with stage_timers(model, clock) as stages:
        total = sum(s for rep in rt.repeat(one_pass, "profile", windows=1, warm=False) for s in rep)
    other = total - sum(s.seconds for s in stages.values())
    seconds = {name: (s.seconds, s.calls) for name, s in stages.items()} | {"other": (other, 0)}
    return Profile(
        title="(d) profile",
        passes=rt.config.repeats,
        total_ms=1000 * total,
        stages={name: StageTime(1000 * sec, calls, 100 * sec / total) for name, (sec, calls) in seconds.items()},
        # The centre decode in encode_window and each t > 0 decode have the same shapes and cost.
        decoder_pass_ms=1000 * stages["decoder"].seconds / stages["decoder"].calls,
    )


# --- one run ----------------------------------------------------------------------------------


def _environment(rt: Runtime) -> dict[str, object]:
    name, ghz, _ = cpu_info()
    return {
        "device": torch.cuda.get_device_name(rt.device) if rt.device.type == "cuda" else name,
        "cpu_ghz": ghz,
        "precision": rt.precision,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        # Other work on the machine (e.g. a training job) slows CPU numbers: record it with them.
        "load_average_1min": load_average(),
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
        f"weights: {weights}; precision {rt.precision} (flow, warps and flow-to-time in fp32)",
        f"device: {env['device']}, {env['torch_threads']} torch threads ({env['cpu_count']} CPUs, load average "
        f"{env['load_average_1min']} at start), torch {env['torch']}, warp backend {env['warp_backend']}",
        f"warm-up {cfg.warmup}, repeats {cfg.repeats} (medians reported), {cfg.frames} input frames per repeat, "
        "torch.inference_mode",
    ]


def run_bench(config: BenchConfig, progress: bool = False) -> RunResult:
    """Measure everything for one config; (a) runs first and warms the shared network."""
    with open_runtime(config, progress) as rt:
        env = _environment(rt)
        result = RunResult(config.title(), dataclasses.asdict(config), env, _notes(rt, env))
        payoff = cache_payoff(rt)
        sections: dict[str, Section] = {"cache_payoff": payoff, "limit": limit(rt, payoff.cached_ms_per_frame)}
        sections |= {"filter_glue": filter_glue(rt), "backends": backends(rt), "profile": profile(rt)}
        result.sections = sections
        return result
