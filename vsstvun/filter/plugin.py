"""The ``stvun`` VapourSynth filter: space-time upsampling of an RGB clip.

Graph: a blank template of the output size/length plus eight source clips remapped to output
indexing (frame ``n`` of clip ``k`` is source ``X3(n) + k - 3``, edge-replicated, ``k = 0..7``;
the eighth is X4's right neighbour, needed for X4's own window at a scene cut). All nine go to
``std.ModifyFrame``, so VapourSynth fetches the source frames itself, in parallel, and the Python
callback only runs the model. The remap (:mod:`vsstvun.filter.remap`) builds in O(1) for any
clip length and rate factor.

The per-window model state is cached (:mod:`vsstvun.filter.cache`) and shared by every output frame
between X3 and X4, whatever order and thread VapourSynth asks them from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache, partial

import numpy as np
import torch
import vapoursynth as vs

from .. import scenechange
from ..model import STVUN, PairFlows, WindowState
from ..model.config import NEEDS_FOLLOWING, check_flow_refine, check_temporal
from ..model.ops.dis import OPENCV_HINT, opencv_available
from ..model.precision import DTYPES, input_dtype, resolve_precision
from ..weights import load_model
from . import args
from . import dedup as held
from .cache import WindowCache
from .dedup_metric import DEFAULT_THRESHOLD, PROP, with_difference
from .device import select_device
from .remap import source_clip
from .streams import StreamPool
from .tiling import TiledModel, plan_tiles
from .timing import FramePosition, Timing, output_duration, output_fps, output_start

__all__ = ["stvun"]

#: Offsets of the fetched source frames relative to X3: X3's window (-3..+3) and X4's (-2..+4).
_OFFSETS = range(-3, 5)
_HALF = 3  # window frames on each side of its centre
#: Largest ``dedup_max_hold``: each output frame fetches ``7 * dedup_max_hold + 2`` source frames
#: (``8 * dedup_max_hold + 2`` where in-between frames use X4's window too: "warp", "fuse").
_MAX_HOLD_LIMIT = 8
#: Cut verdicts kept per filter instance (booleans; the frames a window spans, many times over).
_CUT_VERDICTS = 1024


def stvun(
    clip: vs.VideoNode,
    scale: int = 4,
    factor_num: int = 2,
    factor_den: int = 1,
    fps_num: int | None = None,
    fps_den: int | None = None,
    model: str = "lite",
    model_path: str | None = None,
    device_index: int | None = None,
    num_streams: int = 1,
    tiles: int | tuple[int, int] | None = None,
    overlap: int = 32,
    sc: bool = True,
    sc_threshold: float | None = scenechange.CUT_THRESHOLD,
    cache_windows: int = 4,
    dedup: bool = False,
    dedup_threshold: float = DEFAULT_THRESHOLD,
    dedup_max_hold: int = 3,
    precision: str = "auto",
    flow_refine: int | None = None,
    temporal: str = "joint",
) -> vs.VideoNode:
    """Upsample ``clip`` by ``scale`` in space and by a rational factor in time with STVUN.

    :param clip: RGBS, or RGBH (half precision on CUDA under ``precision="auto"``; RGBH output). A
        1-frame clip (a still) is upscaled in space: ``ceil(factor)`` copies.
    :param scale: spatial factor, 4 or 2 (must match the weights).
    :param factor_num, factor_den: frame-rate factor (default 2); may be fractional, >= 1 (integer
        only on variable-frame-rate clips). Floats are read as fractions (2.5 is 5/2).
    :param fps_num, fps_den: target frame rate; supersedes the factor (constant-rate clips only).
    :param model: packaged weights (``vsstvun.weights.PACKAGED``): "lite" (default; trained on
        real-source degradations too), "lite-clean" (clean degradation only) or "lite-real"
        (degraded sources only: heavily compressed or drawn material); each at x4 and x2.
    :param model_path: checkpoint file; supersedes ``model``.
    :param device_index: CUDA device; ``None`` picks CUDA 0 if available, else the CPU (with a warning in
        VapourSynth's log); ``-1`` chooses the CPU. See :mod:`vsstvun.filter.device`.
    :param num_streams: how many model executions may run at once, each on its own CUDA stream.
    :param tiles: ``(columns, rows)`` (or one int for both) to process big frames in tiles.
    :param overlap: LR pixels each tile extends into its neighbours; blended to hide seams. The flows
        come from the whole frame, so tiles differ from untiled only through the encoder and decoder
        (on the tiling tests' clip, 32 keeps every frame within 1/255 of untiled at worst, 16 within
        about 1.2/255).
    :param sc: detect scene cuts from the frames (props ``_SceneChangeNext``/``_SceneChangePrev``
        on the input are always honoured); nothing is interpolated across a cut.
    :param sc_threshold: cut threshold (default 0.4) on the detector's score in (0, 1]: 1 - the
        best correlation of luma thumbnails over shifts (:mod:`vsstvun.scenechange`); ``None``
        trusts the props only (like ``sc=False``).
    :param cache_windows: how many per-window model states to keep (LRU); with ``temporal="fuse"``
        also how many pairs of windows keep their DIS flows (two HR flow fields each), computed
        once for all the frames between them.
    :param dedup: anime held drawings: interpolate between distinct drawings, not between copies
        (see :mod:`vsstvun.filter.dedup`); adds props ``STVUN_DrawingA``/``STVUN_DrawingB``.
    :param dedup_threshold: a frame copies the previous one when the largest difference of their
        5x5-blurred luma is at most this, in [0, 1] luma units (see
        :mod:`vsstvun.filter.dedup_metric`; the default sits between x264 noise and a 1 px pan).
    :param dedup_max_hold: longest hold, in source frames, taken as one drawing (3: on threes);
        longer holds are kept still.
    :param precision: "auto", "fp32", "bf16" or "fp16" (CUDA) for the encoder, EFST, decoder and fusion head;
        flow, warps and flow-to-time stay fp32. "auto": fp16 on CUDA for RGBH, bf16 on CPUs with
        native bf16, else fp32 (see :mod:`vsstvun.model.precision` and docs/speed.md, "Precision").
    :param flow_refine: window side (odd, LR pixels) of the photometric clean-up that stops the flow
        net's motion bleeding into still background (:mod:`vsstvun.model.ops.flow_refine`); 0 turns
        it off; ``None`` (default) keeps the weights' own (off in every shipped file); 17
        pays on clean footage with large motion (docs/quality.md, "Flow clean-up").
    :param temporal: how in-between frames are made: "joint" (default, the paper's: a decoder pass
        on the warped features of X3 and X4) or "warp" (the space-only frames of X3 and X4, warped
        with the network's flow and blended: no decoder pass, so k output frames per source frame
        cost one window instead of a window and k - 1 decoder passes (docs/quality.md, "Fast in-between
        frames", for the speed and quality measured), or "fuse" (both, merged per pixel by a
        learned head: weights trained with one only, such as "lite-real"; docs/quality.md, "Fused
        in-between frames").

    Output frame ``n`` carries the props of the nearer source frame, its own ``_DurationNum``/
    ``_DurationDen`` and ``_AbsoluteTime`` (where the source has them), plus ``STVUN_Source``,
    ``STVUN_Tin`` (float) and ``STVUN_TinNum``/``STVUN_TinDen``: the window centre and time
    actually synthesised (with ``dedup``: drawing A and the time between drawings A and B). See
    :mod:`vsstvun.filter.timing` for the output length and tail rules.
    """
    try:
        # Everything cheap is validated before the (slow) model load.
        args.check_clip(clip)
        scale = args.integer("scale", scale)
        num_streams = args.integer("num_streams", num_streams)
        cache_windows = args.integer("cache_windows", cache_windows)
        if scale not in (2, 4):
            raise ValueError(f"scale must be 4 or 2, got {scale!r}")
        threshold = args.threshold(sc, sc_threshold)
        if num_streams < 1:
            raise ValueError(f"num_streams must be >= 1, got {num_streams!r}")
        if cache_windows < 1:
            raise ValueError(f"cache_windows must be >= 1, got {cache_windows!r}")
        dedup_threshold = args.unit_share("dedup_threshold", dedup_threshold)
        dedup_max_hold = args.integer("dedup_max_hold", dedup_max_hold)
        if not 1 <= dedup_max_hold <= _MAX_HOLD_LIMIT:
            raise ValueError(f"dedup_max_hold must be in [1, {_MAX_HOLD_LIMIT}], got {dedup_max_hold!r}")
        check_temporal(temporal)
        if flow_refine is not None:
            flow_refine = check_flow_refine(args.integer("flow_refine", flow_refine))
        factor = args.factor(clip.fps, factor_num, factor_den, fps_num, fps_den)
        timing = Timing(clip.num_frames, factor)
        out_fps = output_fps(clip.fps, factor)
        args.check_output(timing.length, out_fps)
        device = select_device(args.device_index(device_index))
        precision = resolve_precision(precision, device, half_input=clip.format.id == vs.RGBH)
        dtype = input_dtype(DTYPES[precision])
        grid = args.tile_grid(tiles)
        tile_plan = plan_tiles(clip.height, clip.width, scale, grid, args.integer("overlap", overlap), device, dtype)
        path = args.weights_file(model_path)
        with args.blame("model_path", path):
            net = load_model(
                model=model, scale=scale, model_path=path, device=device, precision=precision, flow_refine=flow_refine
            )
        if temporal == "fuse":
            _check_fuse(net)

        engine = _Engine(TiledModel(net, tile_plan), device, dtype, num_streams, cache_windows, temporal)
        held_drawings = (dedup_threshold, dedup_max_hold) if dedup else None
        next_window = temporal in NEEDS_FOLLOWING
        offsets = _offsets(held_drawings, next_window)
        renderer = _Renderer(timing, engine, clip.fps, threshold, held_drawings, -offsets.start, next_window)
        template = vs.core.std.BlankClip(
            clip,
            width=clip.width * scale,
            height=clip.height * scale,
            length=timing.length,
            fpsnum=out_fps.numerator,
            fpsden=out_fps.denominator,
            keep=True,
        )
        fetched = with_difference(clip) if dedup else clip
        sources = [source_clip(fetched, timing, k) for k in offsets]
        return vs.core.std.ModifyFrame(template, [template, *sources], renderer)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        raise vs.Error(f"stvun: {exc}") from exc


def _check_fuse(net: STVUN) -> None:
    """Refuse ``temporal="fuse"`` up front for weights without a fusion head, or with a DIS
    candidate where OpenCV is missing (each frame would fail instead)."""
    if net.fusion is None:
        raise ValueError(
            "temporal='fuse' needs weights with a fusion head; these have none: use 'joint' or 'warp', "
            "or model='lite-real', whose files have one (docs/quality.md, \"Fused in-between frames\")"
        )
    if net.config.fusion_dis and not opencv_available():
        raise ValueError(f"temporal='fuse' with these weights: {OPENCV_HINT}")


def _offsets(held_drawings: tuple[float, int] | None, next_window: bool) -> range:
    """Source frames fetched per output frame, relative to X3; dedup needs its whole span (and
    drawing B's window too when in-between frames use B's space-only frame)."""
    if held_drawings is None:
        return _OFFSETS
    before, after = held.span(held_drawings[1], next_window)
    return range(-before, after + 1)


class _Engine:
    """Model execution: cached window encodes and frame synthesis on a pool of stream slots."""

    def __init__(
        self,
        model: TiledModel,
        device: torch.device,
        dtype: torch.dtype,
        num_streams: int,
        cache_windows: int,
        temporal: str,
    ) -> None:
        self.model = model
        self.temporal = temporal
        self.dtype = dtype
        self.pool = StreamPool(device, num_streams)
        self.cache: WindowCache[int, list[WindowState]] = WindowCache(cache_windows)
        # What every frame between two windows shares (temporal="fuse": DIS flows between their
        # centre frames), keyed by the two windows' centres; as many pairs as windows.
        self.pairs: WindowCache[tuple[int, int], list[PairFlows | None]] = WindowCache(cache_windows)

    def states(self, centre: int, window: Callable[[], np.ndarray]) -> list[WindowState]:
        """Per-tile states of the window centred on source frame ``centre``.

        ``window()`` returns the ``(7, 3, H, W)`` frames; it is only called on a cache miss.
        """
        return self.cache.get(centre, lambda: self._encode(window()))

    def _encode(self, window: np.ndarray) -> list[WindowState]:
        return self._for_cache(lambda: self.model.encode(self.pool.upload(window, self.dtype).unsqueeze(0)))

    def _for_cache[T](self, compute: Callable[[], T]) -> T:
        """``compute()`` on a stream slot of its own, finished before it returns: what it makes
        goes into a cache that other threads read from their own streams."""
        with self.pool.slot() as stream, torch.inference_mode():
            made = compute()
            self.pool.finish(stream)
            return made

    def synthesize(
        self,
        states: list[WindowState],
        t: float,
        out_dtype: np.dtype,
        following: tuple[tuple[int, int], list[WindowState]] | None = None,
    ) -> np.ndarray:
        """``(3, sH, sW)`` image at time ``t`` of the window, as ``out_dtype`` on the host: a
        decoder pass, or with ``following`` (the two windows' centres, and X4's window) the
        ``temporal`` mode's frame made with both windows."""
        host = torch.float16 if out_dtype == np.float16 else torch.float32
        # Before taking a slot: a thread waiting for another's DIS flows holds none meanwhile.
        pair = None
        if following is not None and self.model.uses_pair_flows(self.temporal):
            pair = self._pair(states, *following)
        with self.pool.slot() as stream, torch.inference_mode():
            if following is None:
                image = self.model.synthesize(states, t)
            else:
                image = self.model.between(states, following[1], t, self.temporal, pair)
            return self.pool.download(image[0], host, stream)

    def _pair(
        self, states: list[WindowState], key: tuple[int, int], after: list[WindowState]
    ) -> list[PairFlows | None]:
        """What every frame between two windows shares, computed once per pair (``key``)."""
        return self.pairs.get(key, lambda: self._for_cache(lambda: self.model.pair_flows(states, after, self.temporal)))


class _Frames:
    """The source frames fetched for one output frame, with lazily derived data."""

    def __init__(
        self,
        frames: Sequence[vs.VideoFrame],
        source: int,
        src_len: int,
        threshold: float | None,
        origin: int,
        verdicts: WindowCache[int, bool],
    ) -> None:
        self.frames = frames
        self.source = source
        self.src_len = src_len
        self.threshold = threshold
        self.origin = origin  # position of X3 among the fetched frames
        # Cut verdicts outlive the request (``verdicts``, keyed by the gap's first source index):
        # every output frame asks about the same few gaps, and each costs two thumbnails and a
        # shifted correlation. Planes are memoised for this request only; nothing is converted
        # unless needed, and thumbnails read the frame memory directly.
        self.verdicts = verdicts
        self.planes = cache(self._planes)
        self._thumbnail = cache(lambda k: scenechange.thumbnail([np.asarray(self.frames[k][p]) for p in range(3)]))

    def index(self, k: int) -> int:
        """Source index of fetched position ``k`` (clamped like the shifted clips)."""
        return min(max(self.source + k - self.origin, 0), self.src_len - 1)

    def position(self, index: int) -> int:
        """Fetched position of source frame ``index`` (within the fetched span)."""
        k = index - self.source + self.origin
        if not 0 <= k < len(self.frames):
            raise IndexError(f"source frame {index} is outside the frames fetched around {self.source}")
        return k

    def _planes(self, k: int) -> np.ndarray:
        frame = self.frames[k]
        return np.stack([np.asarray(frame[p], dtype=np.float32) for p in range(3)])

    def gap_cut(self, k: int) -> bool:
        """Whether a scene cut lies between fetched positions ``k`` and ``k + 1``."""
        if self.index(k) == self.index(k + 1):
            return False  # replicated border frame: nothing to cut
        return self.verdicts.get(self.index(k), partial(self._detect_cut, k))

    def _detect_cut(self, k: int) -> bool:
        if scenechange.cut_from_props(self.frames[k].props, self.frames[k + 1].props):
            return True
        return self.threshold is not None and scenechange.is_scene_change(
            self._thumbnail(k), self._thumbnail(k + 1), self.threshold
        )

    def cut_between(self, first: int, last: int) -> bool:
        """Whether a cut lies anywhere between source frames ``first <= last``."""
        return any(self.gap_cut(self.position(j)) for j in range(first, last))

    def window(self, centre: int) -> np.ndarray:
        """The ``(7, 3, H, W)`` model input centred on ``centre``, kept inside its shot."""
        start = self.position(centre) - _HALF
        cuts = [self.gap_cut(start + k) for k in range(6)]
        return np.stack([self.planes(start + p) for p in scenechange.window_indices(cuts)])

    def drawings(self, threshold: float, max_hold: int) -> held.Drawings:
        """Held drawings seen from these frames: copies are near-identical, with no cut flagged."""

        def joined(index: int) -> bool:
            k = self.position(index)
            before, after = self.frames[k - 1].props, self.frames[k].props
            return after[PROP] <= threshold and not scenechange.cut_from_props(before, after)

        return held.Drawings(joined, lambda index: self.gap_cut(self.position(index) - 1), self.src_len, max_hold)

    def drawing_window(self, drawings: held.Drawings, centre: int) -> np.ndarray:
        """The ``(7, 3, H, W)`` model input made of the drawings around drawing ``centre``."""
        return np.stack([self.planes(self.position(i)) for i in drawings.window(centre)])


class _Renderer:
    """The ``std.ModifyFrame`` callback; ``f[0]`` is the template, ``f[1:]`` the source frames."""

    def __init__(
        self,
        timing: Timing,
        engine: _Engine,
        src_fps: Fraction,
        threshold: float | None,
        held_drawings: tuple[float, int] | None,
        origin: int,
        next_window: bool,
    ) -> None:
        self.timing = timing
        self.engine = engine
        self.src_fps = src_fps
        self.threshold = threshold
        self.held_drawings = held_drawings  # (dedup_threshold, dedup_max_hold) with dedup on
        self.origin = origin
        self.next_window = next_window  # in-between frames use X4's window too (NEEDS_FOLLOWING)
        self.verdicts: WindowCache[int, bool] = WindowCache(_CUT_VERDICTS)

    def __call__(self, n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        pos = self.timing.position(n)
        frames = _Frames(f[1:], pos.source, self.timing.src_len, self.threshold, self.origin, self.verdicts)
        drawn = None
        if self.held_drawings is None:
            centre, tin = self._target(pos, frames)
            following = centre + 1
            window = frames.window
        else:
            # The drawing determines its window, so held copies share one cached encode.
            drawings = frames.drawings(*self.held_drawings)
            drawn = drawings.target(pos.source, pos.tin)
            centre, tin, following = drawn.a, drawn.tin, drawn.b
            window = partial(frames.drawing_window, drawings)
        states = self.engine.states(centre, partial(window, centre))
        after = None
        if self.next_window and tin:
            after = ((centre, following), self.engine.states(following, partial(window, following)))
        out = f[0].copy()
        image = self.engine.synthesize(states, float(tin), np.asarray(out[0]).dtype, after)
        for p in range(3):
            np.copyto(np.asarray(out[p]), image[p])
        self._set_props(out, n, pos, frames, centre, tin)
        if drawn is not None:
            out.props.pop(PROP, None)  # the metric belongs to a source frame
            out.props["STVUN_DrawingA"], out.props["STVUN_DrawingB"] = drawn.a, drawn.b
        return out

    @staticmethod
    def _target(pos: FramePosition, frames: _Frames) -> tuple[int, Fraction]:
        """Window centre and time to synthesise; across a cut, the nearer side's own frame."""
        if pos.tin and frames.cut_between(pos.source, pos.source + 1):
            return pos.nearest, Fraction(0)
        return pos.source, pos.tin

    def _set_props(
        self, out: vs.VideoFrame, n: int, pos: FramePosition, frames: _Frames, centre: int, tin: Fraction
    ) -> None:
        nearest = frames.frames[frames.position(pos.nearest)]
        props = out.props
        props.clear()
        props.update(nearest.props)
        x3 = frames.frames[frames.origin].props
        x3_duration = 1 / self.src_fps if self.src_fps > 0 else _duration(x3)
        duration = output_duration(self.src_fps, self.timing.factor, x3_duration)
        if duration is None:
            props.pop("_DurationNum", None)
            props.pop("_DurationDen", None)
        else:
            props["_DurationNum"], props["_DurationDen"] = duration.numerator, duration.denominator
        # Not the nearer frame's: that would stamp several outputs with one time.
        x3_start = Fraction(x3["_AbsoluteTime"]) if "_AbsoluteTime" in x3 else None
        start = output_start(n, self.timing.factor, pos.source, x3_start, x3_duration)
        if start is None:
            props.pop("_AbsoluteTime", None)
        else:
            props["_AbsoluteTime"] = float(start)
        # Output n shows (a blend around) its nearer source frame; a cut between the shown frames
        # of two consecutive outputs is a cut of the output.
        shown = self.timing.position
        last = self.timing.length - 1
        props["_SceneChangePrev"] = int(n > 0 and frames.cut_between(shown(n - 1).nearest, pos.nearest))
        props["_SceneChangeNext"] = int(n < last and frames.cut_between(pos.nearest, shown(n + 1).nearest))
        props["STVUN_Source"] = centre
        props["STVUN_Tin"] = float(tin)
        props["STVUN_TinNum"], props["STVUN_TinDen"] = tin.numerator, tin.denominator


def _duration(props: vs.FrameProps) -> Fraction | None:
    if "_DurationNum" in props and "_DurationDen" in props and props["_DurationDen"] > 0:
        return Fraction(props["_DurationNum"], props["_DurationDen"])
    return None
