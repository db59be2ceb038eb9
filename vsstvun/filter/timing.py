"""Exact output timing for frame-rate upsampling (pure functions, no VapourSynth).

Everything here uses integers and :class:`fractions.Fraction` so that the mapping from an
output frame to its source pair is exact for NTSC-style rates (24000/1001 -> 60000/1001):
floating point would drift by one frame somewhere in a long clip, and a frame landing on the
wrong side of a source frame is visible as judder.

Conventions (documented once, relied on by the filter and the tests):

* ``factor`` is ``out_fps / src_fps`` and must be >= 1 (STVUN only *raises* the rate).
* Output frame ``n`` starts at time ``n / out_fps``; in source-frame units that is
  ``pos = n / factor``. Its pair is ``X3 = floor(pos)``, ``X4 = X3 + 1`` and ``Tin = pos - X3``.
* Length: every output frame that starts inside the source's time span is produced, i.e.
  ``ceil(src_len * factor)`` (``src_len * k`` for an integer factor ``k``, like vs-rife).
* Tail: output frames after the last source frame (``X3 == src_len - 1``) have no ``X4``; they
  hold the last frame, i.e. they are its space-only upsample and report ``Tin = 0``. A 1-frame
  clip (a still) is all tail: ``ceil(factor)`` space-only copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class FramePosition:
    """Where output frame ``n`` sits between source frames ``source`` and ``source + 1``."""

    source: int
    tin: Fraction

    @property
    def nearest(self) -> int:
        """The source frame closer in time (``Tin >= 1/2`` -> X4); used across cuts and for props."""
        return self.source + (1 if self.tin >= Fraction(1, 2) else 0)


def resolve_factor(
    src_fps: Fraction,
    factor_num: int = 2,
    factor_den: int = 1,
    fps_num: int | None = None,
    fps_den: int | None = None,
) -> Fraction:
    """Return the exact rate factor ``out_fps / src_fps``.

    ``fps_num``/``fps_den`` (a target rate) supersede ``factor_num``/``factor_den``, as in
    vs-rife. ``src_fps == 0`` means variable frame rate, where a target rate is meaningless and a
    fractional factor is refused: output frame ``n`` is placed by count (``n / factor`` source
    frames), which spans the source's time only when every source frame gets the same number of
    outputs; the exact timeline would need every frame's duration, i.e. decoding the whole clip
    to build the graph. Raises ``ValueError`` with a user-facing message.
    """
    if fps_den is not None and fps_num is None:
        raise ValueError("fps_den was given without fps_num")
    if fps_num is not None:
        den = 1 if fps_den is None else fps_den
        if fps_num <= 0 or den <= 0:
            raise ValueError(f"target fps must be positive, got {fps_num}/{den}")
        if src_fps <= 0:
            raise ValueError(
                "a target fps needs a constant-frame-rate clip; this clip has variable frame rate "
                "(use factor_num/factor_den, or core.std.AssumeFPS first)"
            )
        factor = Fraction(fps_num, den) / src_fps
    else:
        if factor_num <= 0 or factor_den <= 0:
            raise ValueError(f"factor must be positive, got {factor_num}/{factor_den}")
        factor = Fraction(factor_num, factor_den)
        if src_fps <= 0 and factor.denominator != 1:
            raise ValueError(
                f"factor {factor} is fractional but the clip has a variable frame rate: its output frames could "
                "not keep the source's timestamps; use an integer factor, or make the clip constant-rate first "
                "(e.g. the source filter's fpsnum/fpsden, or the vfrtocfr plugin) and pass fps_num/fps_den"
            )
    if factor < 1:
        raise ValueError(
            f"rate factor {factor} is below 1: stvun only raises the frame rate (decimate with another filter)"
        )
    return factor


@dataclass(frozen=True)
class Timing:
    """Output timeline of a clip of ``src_len`` frames upsampled in time by ``factor``."""

    src_len: int
    factor: Fraction

    def __post_init__(self) -> None:
        if self.src_len < 1:
            raise ValueError(f"clip must have at least 1 frame, got {self.src_len}")
        if self.factor < 1:
            raise ValueError(f"rate factor must be >= 1, got {self.factor}")

    @property
    def length(self) -> int:
        """``ceil(src_len * factor)``: the output frames starting inside the source span."""
        return math.ceil(self.src_len * self.factor)

    def position(self, n: int) -> FramePosition:
        """Source pair and exact ``Tin`` of output frame ``n`` (tail frames hold the last frame)."""
        if not 0 <= n < self.length:
            raise IndexError(f"output frame {n} out of range [0, {self.length})")
        source, rest = divmod(n * self.factor.denominator, self.factor.numerator)
        if source >= self.src_len - 1:
            return FramePosition(self.src_len - 1, Fraction(0))
        return FramePosition(source, Fraction(rest, self.factor.numerator))

    @property
    def period(self) -> tuple[int, int]:
        """``(outputs, sources)`` of one cycle of :meth:`selection` (``p``, ``q`` there)."""
        periods = 2 if self.factor.denominator == 1 else 1
        return self.factor.numerator * periods, self.factor.denominator * periods

    def selection(self) -> tuple[int, list[int]]:
        """``(cycle, offsets)`` for ``std.SelectEvery`` mapping output frames to their X3.

        ``floor(n / factor)`` is periodic: with ``factor = p/q`` and ``n = k*p + r`` it equals
        ``k*q + floor(r*q/p)``. So one SelectEvery over the source (cycle ``q``, ``p`` offsets)
        remaps any clip to output indexing in O(1) nodes, whatever the clip length. SelectEvery
        wants a cycle of at least 2, so integer factors use two periods at once. ``p`` offsets
        are a lot for a factor like 2500000/999999: see :mod:`vsstvun.filter.remap`.
        """
        p, q = self.period
        return q, [r * q // p for r in range(p)]


def output_fps(src_fps: Fraction, factor: Fraction) -> Fraction:
    """Output rate; a variable-rate source (0/1) stays variable."""
    return src_fps * factor


def output_duration(src_fps: Fraction, factor: Fraction, src_duration: Fraction | None) -> Fraction | None:
    """Duration of one output frame, as stored in ``_DurationNum/_DurationDen``.

    Constant rate: ``1 / out_fps``. Variable rate: the X3 frame's own duration divided by the
    factor (for an integer factor, each source frame's time is split evenly among its outputs),
    or ``None`` when the source has none.
    """
    if src_fps > 0:
        return 1 / output_fps(src_fps, factor)
    if src_duration is None:
        return None
    return src_duration / factor


def output_start(
    n: int, factor: Fraction, source: int, src_start: Fraction | None, src_duration: Fraction | None
) -> Fraction | None:
    """Start time of output frame ``n`` (its ``_AbsoluteTime``) from its X3 (``source``): X3's
    start plus the part of X3's duration that ``n / factor`` lies past it, or ``None`` when X3
    has no start or duration. Constant rate: ``n / out_fps`` after the first frame's start; tail
    frames (past the last source frame) go on at the same pace.
    """
    if src_start is None or src_duration is None:
        return None
    return src_start + (n / factor - source) * src_duration
