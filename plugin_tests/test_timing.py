"""Exact output timing: factors, lengths, X3/Tin per output frame, SelectEvery remap, durations."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from vsstvun.filter.timing import FramePosition, Timing, output_duration, output_fps, resolve_factor

NTSC_FILM = Fraction(24000, 1001)


def test_resolve_factor_default_and_fractional():
    assert resolve_factor(NTSC_FILM) == 2
    assert resolve_factor(NTSC_FILM, 5, 2) == Fraction(5, 2)
    assert resolve_factor(NTSC_FILM, fps_num=60000, fps_den=1001) == Fraction(5, 2)
    assert resolve_factor(Fraction(25), fps_num=60000, fps_den=1001) == Fraction(2400, 1001)
    assert resolve_factor(Fraction(24), fps_num=48) == 2
    assert resolve_factor(Fraction(24), 1, 1) == 1  # space-only upscaling


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(factor_num=0), "positive"),
        (dict(factor_num=2, factor_den=-1), "positive"),
        (dict(factor_num=1, factor_den=2), "below 1"),
        (dict(fps_num=12), "below 1"),
        (dict(fps_num=-5), "positive"),
        (dict(fps_num=60, fps_den=0), "positive"),
        (dict(fps_den=1001), "without fps_num"),
    ],
)
def test_resolve_factor_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resolve_factor(Fraction(24), **kwargs)


def test_target_fps_needs_constant_rate():
    with pytest.raises(ValueError, match="variable frame rate"):
        resolve_factor(Fraction(0), fps_num=60)
    assert resolve_factor(Fraction(0), 3) == 3  # a plain factor is fine for VFR


def test_fractional_factor_needs_constant_rate():
    """Placed by count, outputs of a VFR clip with a fractional factor drift from their content."""
    with pytest.raises(ValueError, match="factor 3/2 is fractional but the clip has a variable frame rate"):
        resolve_factor(Fraction(0), 3, 2)
    assert resolve_factor(Fraction(0), 4, 2) == 2  # an integer factor written as a fraction


@pytest.mark.parametrize(
    ("src_len", "factor", "length"),
    [(8, 2, 16), (5, 3, 15), (7, Fraction(5, 2), 18), (2, Fraction(7, 4), 4), (10, 1, 10)],
)
def test_length_is_ceil(src_len, factor, length):
    assert Timing(src_len, Fraction(factor)).length == length


def test_integer_factor_positions_and_tail():
    timing = Timing(3, Fraction(4))
    got = [timing.position(n) for n in range(timing.length)]
    q = Fraction(1, 4)
    assert got == [
        FramePosition(0, 0),
        FramePosition(0, q),
        FramePosition(0, 2 * q),
        FramePosition(0, 3 * q),
        FramePosition(1, 0),
        FramePosition(1, q),
        FramePosition(1, 2 * q),
        FramePosition(1, 3 * q),
        # tail after the last source frame: held (its space-only output)
        FramePosition(2, 0),
        FramePosition(2, 0),
        FramePosition(2, 0),
        FramePosition(2, 0),
    ]


def test_ntsc_film_to_60_sequence():
    """24000/1001 -> 60000/1001: the 2:3 pattern of Tins 0, 2/5, 4/5, 1/5, 3/5, repeating."""
    timing = Timing(6, resolve_factor(NTSC_FILM, fps_num=60000, fps_den=1001))
    tins = [timing.position(n).tin for n in range(10)]
    sources = [timing.position(n).source for n in range(10)]
    assert tins == [Fraction(k, 5) for k in (0, 2, 4, 1, 3)] * 2
    assert sources == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]


def test_position_is_exact_far_into_a_long_clip():
    """Float arithmetic would be off somewhere in 10^6 NTSC frames; Fractions never are."""
    factor = resolve_factor(Fraction(30000, 1001), fps_num=60)
    timing = Timing(1_000_000, factor)
    for n in (987_654, 1_234_567, timing.length - 4):
        pos = timing.position(n)
        exact = n / factor
        assert pos.source == math.floor(exact) and pos.tin == exact - math.floor(exact)
    assert timing.position(timing.length - 1) == FramePosition(999_999, Fraction(0))  # tail
    with pytest.raises(IndexError):
        timing.position(timing.length)


def test_nearest_side():
    assert FramePosition(4, Fraction(2, 5)).nearest == 4
    assert FramePosition(4, Fraction(1, 2)).nearest == 5
    assert FramePosition(4, Fraction(0)).nearest == 4


@pytest.mark.parametrize("factor", [Fraction(2), Fraction(5, 2), Fraction(2400, 1001), Fraction(7, 3), Fraction(1)])
@pytest.mark.parametrize("src_len", [2, 3, 7, 1001, 2003])
def test_selection_reproduces_x3(factor, src_len):
    """Emulate std.SelectEvery (length and frame map) and compare with position()."""
    timing = Timing(src_len, factor)
    cycle, offsets = timing.selection()
    full, rest = divmod(src_len, cycle)
    select_len = full * len(offsets) + sum(o < rest for o in offsets)
    assert select_len == timing.length
    for n in range(timing.length):
        k, r = divmod(n, len(offsets))
        selected = k * cycle + offsets[r]
        assert selected == timing.position(n).source


def test_a_still_is_all_tail():
    with pytest.raises(ValueError, match="at least 1 frame"):
        Timing(0, Fraction(2))
    still = Timing(1, Fraction(5, 2))
    assert still.length == 3
    assert [still.position(n) for n in range(3)] == [FramePosition(0, Fraction(0))] * 3


def test_durations():
    factor = Fraction(5, 2)
    assert output_fps(NTSC_FILM, factor) == Fraction(60000, 1001)
    assert output_duration(NTSC_FILM, factor, None) == Fraction(1001, 60000)
    # variable frame rate: the source frame's own duration, divided by the factor
    assert output_fps(Fraction(0), 2) == 0
    assert output_duration(Fraction(0), Fraction(2), Fraction(1, 30)) == Fraction(1, 60)
    assert output_duration(Fraction(0), Fraction(2), None) is None
