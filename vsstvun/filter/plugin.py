"""The ``stvun`` VapourSynth filter: space-time upsampling of an RGB clip.

Graph: a blank template of the output size/length plus eight source clips remapped to output
indexing (frame ``n`` of clip ``k`` is source ``X3(n) + k - 3``, edge-replicated, ``k = 0..7``;
the eighth is X4's right neighbour, needed for X4's own window at a scene cut). All nine go to
``std.ModifyFrame``, so VapourSynth fetches the source frames itself, in parallel, and the Python
callback only runs the model. The remap is one ``std.SelectEvery`` per clip (see
:meth:`vsstvun.filter.timing.Timing.selection`), so building the graph is O(1) in the clip length.

The per-window model state is cached (:mod:`vsstvun.filter.cache`) and shared by every output frame
between X3 and X4, whatever order and thread VapourSynth asks them from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache

import numpy as np
import torch
import vapoursynth as vs

from .. import scenechange
from ..model import WindowState
from ..model.precision import DTYPES, input_dtype, resolve_precision
from ..weights import load_model
from .cache import WindowCache
from .streams import StreamPool
from .tiling import TiledModel, plan_tiles
from .timing import FramePosition, Timing, output_duration, output_fps, resolve_factor

__all__ = ["stvun"]

#: Offsets of the fetched source frames relative to X3: X3's window (-3..+3) and X4's (-2..+4).
_OFFSETS = range(-3, 5)
_X3 = 3  # position of X3 among the fetched frames


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
    sc_threshold: float = 0.1,
    cache_windows: int = 4,
    precision: str = "auto",
) -> vs.VideoNode:
    """Upsample ``clip`` by ``scale`` in space and by a rational factor in time with STVUN.

    :param clip: RGBS, or RGBH (half precision on CUDA under ``precision="auto"``; RGBH output).
    :param scale: spatial factor, 4 or 2 (must match the weights).
    :param factor_num, factor_den: frame-rate factor (default 2); may be fractional, >= 1.
    :param fps_num, fps_den: target frame rate; supersedes the factor (constant-rate clips only).
    :param model: weights preset shipped with the package ("lite" or "full").
    :param model_path: checkpoint file; supersedes ``model``.
    :param device_index: CUDA device; ``None`` picks CUDA 0 if available, else the CPU.
    :param num_streams: how many model executions may run at once, each on its own CUDA stream.
    :param tiles: ``(columns, rows)`` (or one int for both) to process big frames in tiles.
    :param overlap: LR pixels each tile extends into its neighbours; blended to hide seams. The flows
        come from the whole frame, so tiles differ from untiled only through the encoder and decoder
        (on the tiling tests' clip, 32 keeps every frame within 1/255 of untiled at worst, 16 within
        about 1.2/255).
    :param sc: detect scene cuts from the frames (props ``_SceneChangeNext``/``_SceneChangePrev``
        on the input are always honoured); nothing is interpolated across a cut.
    :param sc_threshold: cut threshold on the mean absolute luma difference, in (0, 1].
    :param cache_windows: how many per-window model states to keep (LRU).
    :param precision: "auto", "fp32", "bf16" or "fp16" (CUDA) for the encoder, EFST and decoder;
        flow, warps and flow-to-time stay fp32. "auto": fp16 on CUDA for RGBH, bf16 on CPUs with
        native bf16, else fp32 (see :mod:`vsstvun.model.precision` and the README).

    Output frame ``n`` carries the props of the nearer source frame plus ``STVUN_Source``,
    ``STVUN_Tin`` (float) and ``STVUN_TinNum``/``STVUN_TinDen``: the window centre and time
    actually synthesised. See :mod:`vsstvun.filter.timing` for the output length and tail rules.
    """
    try:
        # Everything cheap is validated before the (slow) model load.
        _check_clip(clip)
        if scale not in (2, 4):
            raise ValueError(f"scale must be 4 or 2, got {scale!r}")
        if not 0 < sc_threshold <= 1:
            raise ValueError(f"sc_threshold must be in (0, 1], got {sc_threshold!r}")
        if num_streams < 1:
            raise ValueError(f"num_streams must be >= 1, got {num_streams!r}")
        if cache_windows < 1:
            raise ValueError(f"cache_windows must be >= 1, got {cache_windows!r}")
        factor = resolve_factor(clip.fps, factor_num, factor_den, fps_num, fps_den)
        timing = Timing(clip.num_frames, factor)
        device = _device(device_index)
        precision = resolve_precision(precision, device, half_input=clip.format.id == vs.RGBH)
        dtype = input_dtype(DTYPES[precision])
        tile_plan = plan_tiles(clip.height, clip.width, scale, _pair(tiles), overlap, device, dtype)
        net = load_model(model=model, scale=scale, model_path=model_path, device=device, precision=precision)

        engine = _Engine(TiledModel(net, tile_plan), device, dtype, num_streams, cache_windows)
        renderer = _Renderer(timing, engine, clip.fps, sc_threshold if sc else None)
        out_fps = output_fps(clip.fps, factor)
        template = vs.core.std.BlankClip(
            clip,
            width=clip.width * scale,
            height=clip.height * scale,
            length=timing.length,
            fpsnum=out_fps.numerator,
            fpsden=out_fps.denominator,
            keep=True,
        )
        cycle, offsets = timing.selection()
        sources = [vs.core.std.SelectEvery(_shift(clip, k), cycle, offsets, modify_duration=False) for k in _OFFSETS]
        return vs.core.std.ModifyFrame(template, [template, *sources], renderer)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        raise vs.Error(f"stvun: {exc}") from exc


def _check_clip(clip: vs.VideoNode) -> None:
    if not isinstance(clip, vs.VideoNode):
        raise TypeError(f"clip must be a video clip, got {type(clip).__name__}")
    if clip.format is None or clip.format.id not in (vs.RGBS, vs.RGBH):
        name = "variable format" if clip.format is None else clip.format.name
        raise ValueError(
            f"only RGBS or RGBH input is supported, got {name}; convert first, e.g. "
            'core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="709")'
        )
    if clip.width == 0 or clip.height == 0:
        raise ValueError("variable frame size is not supported; resize to one size first")
    if clip.num_frames < 2:
        raise ValueError(f"clip must have at least 2 frames, got {clip.num_frames}")


def _pair(tiles: int | Sequence[int] | None) -> tuple[int, int]:
    if tiles is None:
        return (1, 1)
    if isinstance(tiles, int):
        return (tiles, tiles)
    tx, ty = tiles
    return (int(tx), int(ty))


def _device(device_index: int | None) -> torch.device:
    if device_index is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        raise ValueError(f"device_index={device_index} asks for CUDA, which is not available")
    if not 0 <= device_index < torch.cuda.device_count():
        raise ValueError(
            f"device_index={device_index} is out of range (found {torch.cuda.device_count()} CUDA devices)"
        )
    return torch.device("cuda", device_index)


def _shift(clip: vs.VideoNode, k: int) -> vs.VideoNode:
    """``clip`` with frame ``i`` replaced by frame ``clamp(i + k)``: edge-replicated shift."""
    n = clip.num_frames
    if k > 0:
        return clip[-1] * n if k >= n else clip[k:] + clip[-1] * k
    if k < 0:
        return clip[0] * n if -k >= n else clip[0] * -k + clip[: n + k]
    return clip


class _Engine:
    """Model execution: cached window encodes and frame synthesis on a pool of stream slots."""

    def __init__(
        self,
        model: TiledModel,
        device: torch.device,
        dtype: torch.dtype,
        num_streams: int,
        cache_windows: int,
    ) -> None:
        self.model = model
        self.dtype = dtype
        self.pool = StreamPool(device, num_streams)
        self.cache: WindowCache[int, list[WindowState]] = WindowCache(cache_windows)

    def states(self, centre: int, window: Callable[[], np.ndarray]) -> list[WindowState]:
        """Per-tile states of the window centred on source frame ``centre``.

        ``window()`` returns the ``(7, 3, H, W)`` frames; it is only called on a cache miss.
        """
        return self.cache.get(centre, lambda: self._encode(window()))

    def _encode(self, window: np.ndarray) -> list[WindowState]:
        with self.pool.slot() as stream, torch.inference_mode():
            states = self.model.encode(self.pool.upload(window, self.dtype).unsqueeze(0))
            self.pool.finish(stream)  # cached states are read from other threads' streams
            return states

    def synthesize(self, states: list[WindowState], t: float, out_dtype: np.dtype) -> np.ndarray:
        """``(3, sH, sW)`` image at time ``t`` of the window, as ``out_dtype`` on the host."""
        host = torch.float16 if out_dtype == np.float16 else torch.float32
        with self.pool.slot() as stream, torch.inference_mode():
            return self.pool.download(self.model.synthesize(states, t)[0], host, stream)


class _Frames:
    """The eight source frames fetched for one output frame, with lazily derived data."""

    def __init__(self, frames: Sequence[vs.VideoFrame], source: int, src_len: int, threshold: float | None) -> None:
        self.frames = frames
        self.source = source
        self.src_len = src_len
        self.threshold = threshold
        # Memos live as long as this request; nothing is converted unless needed. Thumbnails
        # read the frame memory directly: the cut checks run for every output frame.
        self.planes = cache(self._planes)
        self._thumbnail = cache(lambda k: scenechange.thumbnail([np.asarray(self.frames[k][p]) for p in range(3)]))
        self.gap_cut = cache(self._gap_cut)

    def index(self, k: int) -> int:
        """Source index of fetched position ``k`` (clamped like the shifted clips)."""
        return min(max(self.source + k - _X3, 0), self.src_len - 1)

    def position(self, index: int) -> int:
        """Fetched position of source frame ``index`` (within the fetched span)."""
        return index - self.source + _X3

    def _planes(self, k: int) -> np.ndarray:
        frame = self.frames[k]
        return np.stack([np.asarray(frame[p], dtype=np.float32) for p in range(3)])

    def _gap_cut(self, k: int) -> bool:
        """Whether a scene cut lies between fetched positions ``k`` and ``k + 1``."""
        if self.index(k) == self.index(k + 1):
            return False  # replicated border frame: nothing to cut
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
        start = self.position(centre) - _X3
        cuts = [self.gap_cut(start + k) for k in range(6)]
        return np.stack([self.planes(start + p) for p in scenechange.window_indices(cuts)])


class _Renderer:
    """The ``std.ModifyFrame`` callback; ``f[0]`` is the template, ``f[1:]`` the source frames."""

    def __init__(self, timing: Timing, engine: _Engine, src_fps: Fraction, threshold: float | None) -> None:
        self.timing = timing
        self.engine = engine
        self.src_fps = src_fps
        self.threshold = threshold

    def __call__(self, n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        pos = self.timing.position(n)
        frames = _Frames(f[1:], pos.source, self.timing.src_len, self.threshold)
        centre, tin = self._target(pos, frames)
        states = self.engine.states(centre, lambda: frames.window(centre))
        out = f[0].copy()
        image = self.engine.synthesize(states, float(tin), np.asarray(out[0]).dtype)
        for p in range(3):
            np.copyto(np.asarray(out[p]), image[p])
        self._set_props(out, n, pos, frames, centre, tin)
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
        x3_duration = _duration(frames.frames[_X3].props)
        duration = output_duration(self.src_fps, self.timing.factor, x3_duration)
        if duration is None:
            props.pop("_DurationNum", None)
            props.pop("_DurationDen", None)
        else:
            props["_DurationNum"], props["_DurationDen"] = duration.numerator, duration.denominator
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
