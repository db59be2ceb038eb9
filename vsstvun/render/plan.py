"""Chunk planning (pure): split an output frame range into chunks whose borders snap to scene cuts.

Any border gives exact frames (every worker evaluates the whole script and VapourSynth fetches
the frames a chunk's first outputs need from before the border itself), so cuts only matter to
the encoder: a chunk starting on a cut starts its first GOP where a keyframe belongs anyway,
instead of spending an extra keyframe in the middle of a shot.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Chunk:
    """Output frames ``start <= n < end`` rendered as one file by one worker."""

    index: int
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start

    def describe(self) -> str:
        return f"chunk {self.index} (frames {self.start}-{self.end - 1})"


def plan_chunks(num_frames: int, size: int, cuts: Iterable[int] = (), snap: int | None = None) -> list[Chunk]:
    """Chunks of about ``size`` frames covering ``0 <= n < num_frames``.

    Each border falls on the cut nearest to its nominal place (``size`` frames after the previous
    border) if one lies within ``snap`` frames of it (default ``size // 4``), else on the nominal
    place. A tail shorter than half a chunk joins the last chunk instead of starting a tiny one
    (a worker's start-up, the script and its models, costs the same for 1 frame as for 240).
    ``cuts`` are output frames that start a new shot; chunks are never empty.
    """
    if num_frames < 1:
        raise ValueError(f"the script's output has no frames ({num_frames})")
    if size < 1:
        raise ValueError(f"chunk size must be >= 1 frame, got {size}")
    snap = size // 4 if snap is None else snap
    cut_list = sorted({c for c in cuts if 0 < c < num_frames})
    chunks: list[Chunk] = []
    start = 0
    while start < num_frames:
        end = _border(start, size, num_frames, cut_list, snap)
        chunks.append(Chunk(len(chunks), start, end))
        start = end
    return chunks


def _border(start: int, size: int, num_frames: int, cuts: Sequence[int], snap: int) -> int:
    """The end of the chunk that starts at ``start``: the cut nearest ``start + size`` within ``snap``."""
    nominal = start + size
    if num_frames - nominal < size // 2:
        return num_frames
    lo = bisect.bisect_left(cuts, max(start + 1, nominal - snap))
    hi = bisect.bisect_right(cuts, nominal + snap)
    near = cuts[lo:hi]
    return min(near, key=lambda c: (abs(c - nominal), c)) if near else nominal


def map_cuts(cuts: Iterable[int], cut_fps: Fraction, out_fps: Fraction) -> list[int]:
    """Cuts given as frames of a clip at ``cut_fps`` mapped to the output timeline by time.

    A cut before frame ``k`` happens at ``k / cut_fps`` seconds, i.e. at output frame
    ``round(k * out_fps / cut_fps)`` (exact rationals: no drift over a long film).
    """
    ratio = out_fps / cut_fps
    return sorted({round(k * ratio) for k in cuts})
