"""Arguments of the ``stvun`` filter as script authors write them (pure Python, no model).

Scripts pass what people type: ``4.0`` for 4, ``2.5`` for 5/2, one number for a tile grid,
``None`` for "no detector". Each function returns the value in the form the filter uses, or
raises ``ValueError``/``TypeError`` naming the parameter and the fix (the filter turns those
into ``vs.Error``); a raw Python message ("not enough values to unpack") tells a user nothing.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs

from ..model.config import whole_number as integer
from .timing import resolve_factor

#: Floats become the nearest fraction with a denominator up to this: 2.5 is 5/2, 23.976 is
#: 2997/125, 60000/1001 typed as 59.94005994005994 is 60000/1001 again.
MAX_DENOMINATOR = 1_000_000


def rational(name: str, value: object) -> Fraction:
    """An int, Fraction or finite float as an exact fraction (see :data:`MAX_DENOMINATOR`)."""
    if isinstance(value, numbers.Rational) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value).limit_denominator(MAX_DENOMINATOR)
    raise TypeError(f"{name} must be a number (int, float or Fraction), got {value!r}")


def factor(src_fps: Fraction, factor_num: object, factor_den: object, fps_num: object, fps_den: object) -> Fraction:
    """The exact rate factor from the filter's four rate arguments, any of them float."""
    return resolve_factor(
        src_fps,
        rational("factor_num", factor_num),
        rational("factor_den", factor_den),
        None if fps_num is None else rational("fps_num", fps_num),
        None if fps_den is None else rational("fps_den", fps_den),
    )


def tile_grid(tiles: object) -> tuple[int, int]:
    """``(columns, rows)`` from ``None`` (one tile), one number (both) or a pair."""
    if tiles is None:
        return (1, 1)
    if isinstance(tiles, (list, tuple)):
        if len(tiles) != 2:
            raise ValueError(f"tiles must be one number or a (columns, rows) pair, got {tiles!r}")
        return integer("tiles", tiles[0]), integer("tiles", tiles[1])
    count = integer("tiles", tiles)
    return (count, count)


def unit_share(name: str, value: object, alternative: str = "") -> float:
    """A real number in (0, 1] (NaN fails the range test); ``alternative`` names what else the
    parameter takes, for the message."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1]{alternative}, got {value!r}")
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1]{alternative}, got {value!r}")
    return float(value)


def threshold(sc: bool, sc_threshold: object) -> float | None:
    """The detector's threshold, or ``None`` to trust the clip's scene-change props only
    (``sc=False`` or ``sc_threshold=None``, as in vs-rife)."""
    if sc_threshold is None or not sc:
        return None
    return unit_share("sc_threshold", sc_threshold, " (or None for the props only)")


def device_index(value: object) -> int | None:
    """``None`` (CUDA 0 if there is one, else the CPU) or a whole number (-1: the CPU)."""
    return None if value is None else integer("device_index", value)


#: VapourSynth's limits on a clip: its frame count is a C int, its rate an int64 fraction.
MAX_FRAMES = 2**31 - 1
MAX_RATE_TERM = 2**63 - 1


def check_output(length: int, fps: Fraction) -> None:
    """Refuse an output VapourSynth cannot hold; it would otherwise cap the length silently
    (a clip shorter than its timing says) or overflow on the rate."""
    if length > MAX_FRAMES:
        raise ValueError(
            f"the output would have {length} frames, more than VapourSynth's limit of {MAX_FRAMES}: "
            "lower the rate factor (factor_num/factor_den or fps_num/fps_den) or trim the clip"
        )
    if max(fps.numerator, fps.denominator) > MAX_RATE_TERM:
        raise ValueError(f"the output rate {fps} does not fit VapourSynth's 64-bit fps: give a simpler fps_num/fps_den")


def weights_file(model_path: object) -> Path | None:
    """The checkpoint named by ``model_path``, which must be an existing file, or ``None``."""
    if model_path is None:
        return None
    if not isinstance(model_path, (str, os.PathLike)):
        raise TypeError(f"model_path must be a file path, got {type(model_path).__name__}")
    if not str(model_path).strip():
        raise ValueError("model_path is empty: give a weights file, or leave it out for the packaged weights")
    path = Path(model_path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"model_path={str(model_path)!r} {what}: give a .safetensors or STVUN.pth file")
    return path


@contextmanager
def blame(name: str, value: object) -> Iterator[None]:
    """Prefix errors raised inside with ``name=value`` when the argument was given: the
    checkpoint loader's messages name the file, not the parameter that chose it."""
    try:
        yield
    except ValueError as exc:
        if value is None:
            raise
        raise ValueError(f"{name}={str(value)!r}: {exc}") from exc


def check_clip(clip: object) -> None:
    """An RGBS or RGBH clip of one format and size (any length, a still included)."""
    if not isinstance(clip, vs.VideoNode):
        raise TypeError(f"clip must be a video clip, got {type(clip).__name__}")
    if clip.format is None or clip.format.id == vs.NONE:
        raise ValueError(
            "clip has a variable format (frames of several formats); convert every frame to one first, e.g. "
            'core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="709")'
        )
    if clip.format.id not in (vs.RGBS, vs.RGBH):
        raise ValueError(
            f"only RGBS or RGBH input is supported, got {clip.format.name}; convert first, e.g. "
            'core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="709")'
        )
    if clip.width == 0 or clip.height == 0:
        raise ValueError("variable frame size is not supported; resize to one size first")
