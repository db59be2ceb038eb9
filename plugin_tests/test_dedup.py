"""Held drawings (``dedup=True``): drawings and times, bounded look-around, the filter end to end.

Synthetic clips show a white square whose position is its drawing number; a faint per-frame tag
in the blue channel (far below the dedup threshold) tells which source frame each window slot
came from. With ``FakeModel`` an output is ``(1-Tin) A + Tin B``, so the square's centroid is
exactly the interpolated position.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs
from conftest import make_clip, moving_frames, planes, upsample

import vsstvun
from vsstvun.filter.dedup import Drawings, Target, span
from vsstvun.filter.dedup_metric import DEFAULT_THRESHOLD, PROP, with_difference
from vsstvun.filter.timing import Timing

NTSC_FILM, NTSC_60 = (24000, 1001), dict(fps_num=60000, fps_den=1001)
STEP = 3  # LR px the square moves per drawing
TAG = 1e-3  # blue-channel tag per source frame: a blurred-luma difference of ~3e-6


# --- the pure module: a whole-clip oracle against the bounded decisions --------------------------


class Oracle:
    """Drawings computed from the whole clip at once: the definition, without look-around bounds."""

    def __init__(self, joined: list[bool], cuts: set[int], max_hold: int) -> None:
        self.cuts = cuts
        starts = [i for i, j in enumerate(joined) if not j] + [len(joined)]
        self.keys: list[int] = []
        for start, end in itertools.pairwise(starts):
            self.keys += list(range(start, end)) if end - start > max_hold else [start]

    def target(self, x: int, tin: Fraction) -> Target:
        i = max(i for i, k in enumerate(self.keys) if k <= x)
        a = self.keys[i]
        if i + 1 == len(self.keys):
            return Target(a, a, Fraction(0))
        b = self.keys[i + 1]
        if b in self.cuts:
            side = b if b == x + 1 and tin >= Fraction(1, 2) else a
            return Target(side, side, Fraction(0))
        return Target(a, b, (x + tin - a) / (b - a))

    def window(self, centre: int) -> tuple[int, ...]:
        i = self.keys.index(centre)
        lo = hi = i
        while lo > max(i - 3, 0) and self.keys[lo] not in self.cuts:
            lo -= 1
        while hi < min(i + 3, len(self.keys) - 1) and self.keys[hi + 1] not in self.cuts:
            hi += 1
        return tuple(self.keys[min(max(j, lo), hi)] for j in range(i - 3, i + 4))


def random_clip(rng: random.Random, length: int) -> tuple[list[bool], set[int]]:
    """Runs of 1..7 copies; some run starts are cuts, and a cut may split copies too."""
    joined: list[bool] = []
    while len(joined) < length:
        joined += [False] + [True] * rng.randrange(7)
    joined = joined[:length]
    for i in rng.sample(range(1, length), length // 8):
        joined[i] = False  # a cut flagged between copies splits them
    cuts = {i for i in range(1, length) if not joined[i] and rng.random() < 0.3}
    return joined, cuts


def bounded(joined: list[bool], cuts: set[int], x: int, max_hold: int) -> Drawings:
    """Drawings that fail the test when they read a frame outside ``span(max_hold)`` around ``x``."""
    before, after = span(max_hold)

    def inside(i: int) -> int:
        assert x - before <= i - 1 and i <= x + after, f"frame {i} read outside the span around {x}"
        return i

    return Drawings(lambda i: joined[inside(i)], lambda i: inside(i) in cuts, len(joined), max_hold)


@pytest.mark.parametrize("max_hold", [1, 2, 3, 4])
def test_bounded_look_around_matches_the_whole_clip(max_hold):
    """Every decision near x reads only span(max_hold) around x and equals the whole-clip answer."""
    rng = random.Random(max_hold)
    for _ in range(20):
        joined, cuts = random_clip(rng, 60)
        oracle = Oracle(joined, cuts, max_hold)
        for x in range(60):
            drawings = bounded(joined, cuts, x, max_hold)
            for tin in (Fraction(0), Fraction(2, 5), Fraction(1, 2), Fraction(4, 5)):
                target = drawings.target(x, tin)
                assert target == oracle.target(x, tin), (joined, cuts, x, tin)
                assert drawings.window(target.a) == oracle.window(target.a)


def test_drawings_on_twos_with_a_still_and_a_cut():
    #          0  1  2  3  4  5  6  7  8  9  10 11 12
    copies = [0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1]  # twos, a still of 5 (4..8), twos, a cut at 11
    drawings = Drawings(lambda i: bool(copies[i]), lambda i: i == 11, 13, 3)
    assert drawings.target(1, Fraction(1, 2)) == Target(0, 2, Fraction(3, 4))
    assert drawings.target(5, Fraction(1, 2)) == Target(5, 6, Fraction(1, 2))  # a still: frame to frame
    assert drawings.target(8, Fraction(1, 2)) == Target(8, 9, Fraction(1, 2))
    assert drawings.target(10, Fraction(1, 4)) == Target(9, 9, Fraction(0))  # held up to the cut
    assert drawings.target(10, Fraction(1, 2)) == Target(11, 11, Fraction(0))  # nearer side
    assert drawings.target(12, Fraction(0)) == Target(11, 11, Fraction(0))  # after the last drawing
    assert drawings.window(2) == (0, 0, 0, 2, 4, 5, 6)
    assert drawings.window(9) == (6, 7, 8, 9, 9, 9, 9)
    assert drawings.window(11) == (11,) * 7


# --- the metric ----------------------------------------------------------------------------------


def metric_values(frames: list[np.ndarray]) -> list[float]:
    annotated = with_difference(make_clip(frames))
    return [annotated.get_frame(n).props[PROP] for n in range(1, len(frames))]


def test_metric_ignores_noise_and_sees_a_one_pixel_pan():
    pan = moving_frames(3, 96, 64)  # 1 px per frame
    noise = np.random.default_rng(0).normal(0, 2 / 255, (2, *pan[0].shape)).astype(np.float32)
    assert max(metric_values([pan[0] + noise[0], pan[0] + noise[1]])) < DEFAULT_THRESHOLD / 4
    assert min(metric_values(pan)) > DEFAULT_THRESHOLD


# --- the filter ----------------------------------------------------------------------------------


def drawn_frames(drawings: list[int], width: int = 80, height: int = 12) -> list[np.ndarray]:
    """Frame i: a 4x4 white square at x = 2 + STEP * drawings[i], tagged with i in blue."""
    frames = []
    for i, d in enumerate(drawings):
        frame = np.zeros((3, height, width), np.float32)
        frame[:2, 4:8, 2 + STEP * d : 6 + STEP * d] = 1
        frame[2, 0, 0] = TAG * (i + 1)
        frames.append(frame)
    return frames


def centroid(frame: np.ndarray, scale: int) -> float:
    """The square's x centroid in LR px (red channel, so the tag is ignored)."""
    red = frame[0]
    xs = (np.arange(red.shape[1]) + 0.5) / scale - 0.5
    return float((red.sum(axis=0) * xs).sum() / red.sum())


def source_of(slot: np.ndarray) -> int:
    """The source index tagged in one window slot."""
    return round(float(slot[2, 0, 0]) / TAG) - 1


def window_sources(model) -> list[tuple[int, ...]]:
    """The source indices of every window ``model`` encoded, in encode order."""
    return [tuple(source_of(slot) for slot in w[0].numpy()) for w in model.windows]


def drawing_times(drawings: list[int], max_hold: int = 3) -> list[int]:
    """Source frames where a drawing starts (every frame of a hold longer than max_hold)."""
    starts = [i for i in range(len(drawings)) if i == 0 or drawings[i] != drawings[i - 1]] + [len(drawings)]
    return [t for s, e in itertools.pairwise(starts) for t in (range(s, e) if e - s > max_hold else [s])]


def run(drawings: list[int], fps=(24, 1), props=None, **kwargs) -> list[vs.VideoFrame]:
    clip = make_clip(drawn_frames(drawings), fps=fps, props=props)
    out = vsstvun.stvun(clip, scale=2, **{"dedup": True, **kwargs})
    return [out.get_frame(n) for n in range(out.num_frames)]


def times(out: list[vs.VideoFrame], src_len: int) -> list[Fraction]:
    timing = Timing(src_len, Fraction(len(out), src_len))
    return [timing.position(n).source + timing.position(n).tin for n in range(len(out))]


@pytest.mark.parametrize("temporal", ["joint", "warp"])
@pytest.mark.parametrize("hold", [2, 3])
@pytest.mark.parametrize(("fps", "kwargs"), [((24, 1), dict(factor_num=2)), (NTSC_FILM, NTSC_60)])
def test_held_drawings_advance_evenly(fake_models, hold, fps, kwargs, temporal):
    """Also with warped in-between frames, whose drawing B window reaches further ahead (on
    threes, 12 frames: one more hold than the joint mode fetches)."""
    drawings = [i // hold for i in range(8 * hold)]
    last = hold * (len(drawings) // hold - 1)  # the last drawing's time: held afterwards
    for dedup in (True, False):
        out = run(drawings, fps=fps, dedup=dedup, temporal=temporal, **kwargs)
        clock = times(out, len(drawings))
        steps = np.diff([centroid(planes(f), 2) for f, t in zip(out, clock, strict=True) if t <= last])
        if dedup:
            assert steps.min() > 0 and steps.max() <= 2 * steps.min(), steps
        else:  # the judder dedup removes: interpolating a copy with itself stands still
            assert steps.min() < 1e-4, steps


@pytest.mark.parametrize("temporal", ["joint", "warp", "fuse"])
def test_twos_then_ones_then_threes(fake_models, temporal):
    """With ``temporal="warp"`` or ``"fuse"`` drawing B comes from B's own window (the fetched
    span covers it)."""
    drawings = [0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]
    out = run(drawings, fps=NTSC_FILM, temporal=temporal, **NTSC_60)
    keys = drawing_times(drawings)
    for frame, t in zip(out, times(out, len(drawings)), strict=True):
        a = max(k for k in keys if k <= t)
        b = min((k for k in keys if k > t), default=a)
        tin = Fraction(0) if a == b else (t - a) / (b - a)
        props = frame.props
        assert (props["STVUN_DrawingA"], props["STVUN_DrawingB"], props["STVUN_Source"]) == (a, b, a)
        assert Fraction(props["STVUN_TinNum"], props["STVUN_TinDen"]) == tin
        assert props["STVUN_Tin"] == pytest.approx(float(tin))
        assert PROP not in props
        position = (1 - tin) * drawings[a] + tin * drawings[b]
        assert centroid(planes(frame), 2) == pytest.approx(2 + STEP * float(position) + 1.5, abs=1e-4)
    assert (fake_models[-1].warps > 0) == (temporal != "joint")


def test_a_long_still_is_kept_still(fake_models):
    """A hold longer than dedup_max_hold is not smeared into a slow move to the next drawing."""
    drawings = [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4]  # drawing 2 held for 6 frames (4..9)
    frames = drawn_frames(drawings)
    out = run(drawings, factor_num=4)
    clock = times(out, len(drawings))
    for frame, t in zip(out, clock, strict=True):
        x = int(t)
        if 4 <= t < 9:  # frame to frame between copies: the square stays put
            assert (frame.props["STVUN_DrawingA"], frame.props["STVUN_DrawingB"]) == (x, x + 1)
            assert centroid(planes(frame), 2) == pytest.approx(2 + STEP * 2 + 1.5, abs=1e-4)
        if 9 <= t < 10:  # the move to drawing 3 takes one frame, as drawn
            assert (frame.props["STVUN_DrawingA"], frame.props["STVUN_DrawingB"]) == (9, 10)
            tin = float(t - 9)
            np.testing.assert_allclose(planes(frame), upsample((1 - tin) * frames[9] + tin * frames[10], 2), atol=1e-6)
    # dedup_max_hold=6 makes the same hold one drawing, interpolated from frame 4 to 10
    smeared = run(drawings, factor_num=4, dedup_max_hold=6)
    assert smeared[4 * 7].props["STVUN_DrawingA"] == 4 and smeared[4 * 7].props["STVUN_DrawingB"] == 10


@pytest.mark.parametrize("temporal", ["joint", "fuse"])
def test_a_still(fake_models, temporal):
    """A 1-frame clip with dedup on: ceil(factor) space-only copies, as without it."""
    frames = moving_frames(1)
    out = vsstvun.stvun(make_clip(frames), scale=2, factor_num=5, factor_den=2, dedup=True, temporal=temporal)
    assert out.num_frames == 3
    for n in range(3):
        frame = out.get_frame(n)
        np.testing.assert_allclose(planes(frame), upsample(frames[0], 2), atol=1e-6)
        assert (frame.props["STVUN_DrawingA"], frame.props["STVUN_DrawingB"]) == (0, 0)


def test_a_cut_inside_a_hold(fake_models):
    """Copies of one drawing on both sides of a flagged cut: no blend, no window across it."""
    drawings = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    frames = drawn_frames(drawings)
    out = run(drawings, factor_num=4, props={4: {"_SceneChangeNext": 1}})  # between frames 4 and 5
    for frame, t in zip(out, times(out, len(drawings)), strict=True):
        a, b = frame.props["STVUN_DrawingA"], frame.props["STVUN_DrawingB"]
        if 2 <= t < 4:
            assert (a, b) == (2, 4)
        elif 4 <= t < 5:  # frame 4 alone before the cut; the nearer side from 4.5
            side = 4 if t < Fraction(9, 2) else 5
            assert (a, b, frame.props["STVUN_Tin"]) == (side, side, 0.0)
            np.testing.assert_array_equal(planes(frame), upsample(frames[side], 2))
        elif 5 <= t < 6:
            assert (a, b) == (5, 6)
    windows = set(window_sources(fake_models[-1]))
    assert windows == {(0, 0, 0, 0, 2, 4, 4), (0, 0, 0, 2, 4, 4, 4), (0, 0, 2, 4, 4, 4, 4)} | {
        (5, 5, 5, 5, 6, 8, 8),
        (5, 5, 5, 6, 8, 8, 8),
        (5, 5, 6, 8, 8, 8, 8),
    }


def test_random_order_threads_equal_sequential_and_encode_each_window_once(fake_models, vs_threads):
    drawings = [0, 0, 1, 1, 2, 3, 3, 3, 4, 4, 5, 5, 5, 5, 5, 6, 6, 7, 7, 8]
    kwargs = dict(fps=NTSC_FILM, cache_windows=32, **NTSC_60)
    vs_threads(1)
    sequential = [planes(f) for f in run(drawings, **kwargs)]
    windows = window_sources(fake_models[-1])
    assert len(windows) == len(set(windows)) == len(drawing_times(drawings))  # copies share an encode

    vs_threads(4)
    clip = make_clip(drawn_frames(drawings), fps=NTSC_FILM)
    out = vsstvun.stvun(clip, scale=2, dedup=True, num_streams=2, cache_windows=32, **NTSC_60)
    order = list(range(out.num_frames)) * 2
    random.Random(3).shuffle(order)
    futures = [(n, out.get_frame_async(n)) for n in order]
    for n, future in futures:
        np.testing.assert_array_equal(planes(future.result()), sequential[n])
    assert sorted(window_sources(fake_models[-1])) == sorted(windows)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(dedup_threshold=0), "dedup_threshold must be in"),
        (dict(dedup_threshold=1.5), "dedup_threshold must be in"),
        (dict(dedup_threshold="0.1"), "dedup_threshold must be a number"),
        (dict(dedup_threshold=True), "dedup_threshold must be a number"),
        (dict(dedup_max_hold=0), "dedup_max_hold must be in"),
        (dict(dedup_max_hold=9), "dedup_max_hold must be in"),
    ],
)
def test_errors(kwargs, message):
    clip = vs.core.std.BlankClip(format=vs.RGBS, width=32, height=32, length=4)
    with pytest.raises(vs.Error, match="^stvun: " + message):
        vsstvun.stvun(clip, dedup=True, **kwargs)
