"""Held drawings ("dedup"): interpolate between distinct drawings, not between copies (pure).

Anime is drawn "on twos" or "on threes": each drawing is held for 2 or 3 source frames.
Interpolating between a frame and its own copy gives nothing and the next pair jumps, so motion
judders in a rhythm. With dedup, a run of near-identical frames is one *drawing* placed at the
time of the run's first frame, and an output frame at source time ``t`` is synthesised between
the drawings ``a <= t < b`` around it at ``Tin = (t - a) / (b - a)``; the model's 7-frame window
is made of drawings too (3 before, 3 after).

A run longer than ``max_hold`` frames is no drawing on twos or threes but a held shot: it is
kept still rather than smeared into a slow move towards the next drawing. Each of its frames
is then its own drawing, so inside it the filter interpolates frame to frame exactly as without
dedup: copies give a still picture, and a slow, faint pan that the metric took for copies still
moves smoothly. That rule also bounds the look-around: drawings are at most ``max_hold``
frames apart, so every decision for an output frame near source frame ``x`` reads only the
frames of :func:`span`, and random access and threads give the same drawings as a sequential
run.

Inputs are two lazy per-frame predicates in source indices, so that only the frames a decision
needs are ever examined: ``joined(i)``, frame ``i`` copies frame ``i - 1`` (near-identical and
no cut flagged in between), and ``cut(i)``, a scene cut lies between frames ``i - 1`` and
``i``. Nothing is interpolated and no window reaches across a cut, as without dedup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

#: Drawings on each side of the window centre.
_SIDE = 3


def span(max_hold: int, next_window: bool = False) -> tuple[int, int]:
    """``(before, after)``: the source frames around ``x`` that decide an output at ``x + Tin``.

    The drawing at ``x`` starts at most ``max_hold - 1`` frames before it, the 3 drawings
    before that are at most ``max_hold`` apart, and telling a drawing from a still needs
    ``max_hold`` more frames: ``4 * max_hold`` before. After: 3 drawings at most ``max_hold``
    apart, starting from ``x + 1`` (the nearer side of a cut right after ``x``). With
    ``next_window`` (the window of drawing B as well, for warped in-between frames), B starts at
    most ``max_hold`` frames after ``x``, so the window's last drawing reaches ``max_hold`` further.
    """
    return 4 * max_hold, (4 if next_window else 3) * max_hold + 1


@dataclass(frozen=True)
class Target:
    """What to synthesise: drawings ``a`` and ``b`` (source indices) and the time between them."""

    a: int
    b: int
    tin: Fraction


class Drawings:
    """Drawings of a clip of ``src_len`` frames, decided from ``joined`` and ``cut`` on demand."""

    def __init__(self, joined: Callable[[int], bool], cut: Callable[[int], bool], src_len: int, max_hold: int) -> None:
        if max_hold < 1:
            raise ValueError(f"max_hold must be >= 1, got {max_hold}")
        self._joined_at = joined
        self._cut = cut
        self.src_len = src_len
        self.max_hold = max_hold

    def _joined(self, i: int) -> bool:
        return 0 < i < self.src_len and self._joined_at(i)

    def _copies_before(self, i: int, limit: int) -> int:
        """How many frames right before ``i`` show its drawing, counting at most ``limit``."""
        n = 0
        while n < limit and self._joined(i - n):
            n += 1
        return n

    def _copies_after(self, i: int, limit: int) -> int:
        """How many frames right after ``i`` show its drawing, counting at most ``limit``."""
        n = 0
        while n < limit and self._joined(i + n + 1):
            n += 1
        return n

    def drawing(self, x: int) -> int:
        """The drawing source frame ``x`` shows: its run's first frame, or ``x`` inside a still."""
        before = self._copies_before(x, self.max_hold)
        after = self._copies_after(x, self.max_hold - before)
        return x if before + after >= self.max_hold else x - before

    def next(self, k: int) -> int | None:
        """The drawing after drawing ``k``, ``None`` at the clip's end."""
        if k + 1 >= self.src_len:
            return None
        if self._joined(k):  # a drawing that copies its predecessor lies inside a still
            return k + 1
        copies = self._copies_after(k, self.max_hold)
        if copies == self.max_hold:  # a still starts at k
            return k + 1
        return k + copies + 1 if k + copies + 1 < self.src_len else None

    def previous(self, k: int) -> int | None:
        """The drawing before drawing ``k``, ``None`` at the clip's start."""
        if k == 0:
            return None
        if self._joined(k):
            return k - 1
        copies = self._copies_before(k - 1, self.max_hold)
        return k - 1 if copies == self.max_hold else k - 1 - copies

    def target(self, x: int, tin: Fraction) -> Target:
        """Drawings and time for an output at source time ``x + tin`` (``0 <= tin < 1``).

        Held (``a == b``, ``Tin = 0``) after the last drawing; before a cut, the last drawing is
        held up to the cut, where the nearer side is shown as without dedup.
        """
        a = self.drawing(x)
        b = self.next(a)
        if b is None:
            return Target(a, a, Fraction(0))
        if self._cut(b):
            side = b if b == x + 1 and tin >= Fraction(1, 2) else a
            return Target(side, side, Fraction(0))
        return Target(a, b, (x + tin - a) / (b - a))

    def window(self, centre: int) -> tuple[int, ...]:
        """The 7 drawings around drawing ``centre``, edge-replicated at clip borders and cuts."""
        before = self._walk(centre, self.previous)
        after = self._walk(centre, self.next)
        return (*reversed(before[1:]), *after)

    def _walk(self, start: int, step: Callable[[int], int | None]) -> list[int]:
        """``start`` and the next 3 drawings in one direction, the last one repeated past an end."""
        keys = [start]
        while len(keys) <= _SIDE:
            k = step(keys[-1])
            if k is None or self._cut(max(k, keys[-1])):  # the gap before the later drawing
                break
            keys.append(k)
        return keys + [keys[-1]] * (_SIDE + 1 - len(keys))
