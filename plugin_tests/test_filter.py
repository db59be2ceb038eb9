"""The ``stvun`` filter: timing, windows at borders, caching under threads, scene cuts, errors.

Most tests use ``FakeModel`` (output = nearest upsample of (1-t) X3 + t X4, windows recorded) so
they can check exactly which frames and times were used; the rest run a random-init ``lite``
network end to end.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
import vapoursynth as vs
from conftest import make_clip, moving_frames, planes, upsample

import vsstvun
from vsstvun import scenechange
from vsstvun.filter.timing import FramePosition, Timing
from vsstvun.model import build_model
from vsstvun.model.checkpoint import save_checkpoint
from vsstvun.weights import load_model

core = vs.core


def frames_of(clip: vs.VideoNode) -> list[vs.VideoFrame]:
    return [clip.get_frame(n) for n in range(clip.num_frames)]


def expected_window(frames: list[np.ndarray], centre: int, last: int | None = None) -> np.ndarray:
    """The 7 frames around ``centre``, edge-replicated at 0 and at ``last`` (a border or cut)."""
    last = len(frames) - 1 if last is None else last
    return np.stack([frames[min(max(centre + k, 0), last)] for k in range(-3, 4)])


def fake_output(frames: list[np.ndarray], pos: FramePosition, scale: int) -> np.ndarray:
    """What FakeModel yields for an output at ``pos``: (1-Tin) X3 + Tin X4, nearest-upsampled."""
    x4 = frames[min(pos.source + 1, len(frames) - 1)]
    return upsample((1 - float(pos.tin)) * frames[pos.source] + float(pos.tin) * x4, scale)


def recorded_windows(model) -> list[np.ndarray]:
    return [w[0].numpy() for w in model.windows]


# --- output format and timing -------------------------------------------------------------------


def test_default_doubles_rate_and_scales(fake_models):
    clip = make_clip(moving_frames(6), fps=(24, 1))
    out = vsstvun.stvun(clip)
    assert (out.width, out.height, out.num_frames, out.fps) == (256, 192, 12, Fraction(48))
    assert out.format.id == vs.RGBS
    props = out.get_frame(3).props
    assert (props["_DurationNum"], props["_DurationDen"]) == (1, 48)


@pytest.mark.parametrize(
    ("fps", "kwargs", "out_fps"),
    [
        ((24000, 1001), dict(fps_num=60000, fps_den=1001), Fraction(60000, 1001)),
        ((24, 1), dict(factor_num=5, factor_den=2), Fraction(60)),
        ((25, 1), dict(factor_num=3), Fraction(75)),
        ((30000, 1001), dict(factor_num=1), Fraction(30000, 1001)),
    ],
)
@pytest.mark.parametrize("temporal", ["joint", "warp", "fuse"])
def test_output_frames_are_the_right_blends(fake_models, fps, kwargs, out_fps, temporal):
    """Every output frame is (1-Tin) X3 + Tin X4 of its exact pair; the tail holds the last frame.
    ``temporal="warp"`` and ``"fuse"`` take X4 from X4's own window, through the model's ``between``."""
    frames = moving_frames(5)
    out = vsstvun.stvun(make_clip(frames, fps=fps), scale=2, temporal=temporal, **kwargs)
    timing = Timing(5, out_fps / Fraction(*fps))
    assert out.fps == out_fps and out.num_frames == timing.length
    for n, frame in enumerate(frames_of(out)):
        pos = timing.position(n)
        np.testing.assert_allclose(planes(frame), fake_output(frames, pos, 2), atol=1e-6)
        props = frame.props
        assert props["STVUN_Source"] == pos.source
        assert Fraction(props["STVUN_TinNum"], props["STVUN_TinDen"]) == pos.tin
        assert props["STVUN_Tin"] == pytest.approx(float(pos.tin))
        assert Fraction(props["_DurationNum"], props["_DurationDen"]) == 1 / out_fps
    in_between = sum(1 for n in range(timing.length) if timing.position(n).tin)
    assert fake_models[-1].warps == (in_between if temporal != "joint" else 0)


@pytest.mark.parametrize("temporal", ["joint", "warp", "fuse"])
@pytest.mark.parametrize("length", [2, 3, 4, 5, 6, 9])
def test_windows_are_edge_replicated_and_encoded_once(fake_models, length, temporal):
    """Short clips and the first/last three frames: each window once, borders replicated."""
    frames = moving_frames(length)
    frames_of(vsstvun.stvun(make_clip(frames), scale=2, factor_num=3, cache_windows=length, temporal=temporal))
    windows = recorded_windows(fake_models[-1])
    assert len(windows) == length
    for centre in range(length):
        assert any(np.array_equal(w, expected_window(frames, centre)) for w in windows), centre


def test_variable_frame_rate_with_a_factor(fake_models):
    props = {n: {"_DurationNum": 1, "_DurationDen": 24 if n % 2 else 30} for n in range(4)}
    out = vsstvun.stvun(make_clip(moving_frames(4), fps=(0, 1), props=props), scale=2)
    assert out.fps == 0 and out.num_frames == 8
    durations = [Fraction(f.props["_DurationNum"], f.props["_DurationDen"]) for f in frames_of(out)]
    # each source frame's duration is split between its two output frames
    assert durations == [Fraction(1, 60), Fraction(1, 60), Fraction(1, 48), Fraction(1, 48)] * 2


@pytest.mark.parametrize(
    ("fps", "durations", "kwargs"),
    [
        ((24, 1), [Fraction(1, 24)] * 4, dict(factor_num=5, factor_den=2)),
        ((0, 1), [Fraction(1, 30), Fraction(1, 24)] * 2, dict(factor_num=3)),
    ],
)
def test_each_output_frame_has_its_own_start_time(fake_models, fps, durations, kwargs):
    """``_AbsoluteTime`` of output n: its start on the source's clock, evenly paced between
    source frames (not the nearer source frame's, which would stamp several outputs alike)."""
    starts = [Fraction(10) + sum(durations[:i], Fraction(0)) for i in range(4)]
    props = {
        n: {"_AbsoluteTime": float(starts[n]), "_DurationNum": d.numerator, "_DurationDen": d.denominator}
        for n, d in enumerate(durations)
    }
    out = vsstvun.stvun(make_clip(moving_frames(4), fps=fps, props=props), scale=2, **kwargs)
    factor = Fraction(kwargs["factor_num"], kwargs.get("factor_den", 1))
    times = [f.props["_AbsoluteTime"] for f in frames_of(out)]
    expected = []
    for n in range(out.num_frames):
        source = min(int(n / factor), 3)
        expected.append(float(starts[source] + (n / factor - source) * durations[source]))
    assert times == pytest.approx(expected, abs=1e-9)
    assert all(b > a for a, b in itertools.pairwise(times))


def test_no_start_time_without_one_on_the_source(fake_models):
    out = vsstvun.stvun(make_clip(moving_frames(3), props={1: {"_AbsoluteTime": 1.0}}), scale=2)
    assert ["_AbsoluteTime" in f.props for f in frames_of(out)] == [False, False, True, True, False, False]


def test_graph_is_constant_size_for_long_clips(fake_models):
    """100k source frames at 24000/1001 -> 60000/1001 build instantly and map exactly."""
    blank = core.std.BlankClip(format=vs.RGBS, width=16, height=16, length=100_000, fpsnum=24000, fpsden=1001)
    start = time.perf_counter()
    out = vsstvun.stvun(blank, scale=2, fps_num=60000, fps_den=1001)
    assert time.perf_counter() - start < 2
    assert out.num_frames == 250_000
    props = out.get_frame(249_998).props
    assert (props["STVUN_Source"], props["STVUN_TinNum"], props["STVUN_TinDen"]) == (99_999, 0, 1)
    props = out.get_frame(123_457).props  # 123457 * 2/5 = 49382.8
    assert (props["STVUN_Source"], props["STVUN_TinNum"], props["STVUN_TinDen"]) == (49_382, 4, 5)


def built_within(seconds: float, build: Callable[[], vs.VideoNode]) -> vs.VideoNode:
    """``build()``'s clip, failing (not hanging) the test if it takes longer than ``seconds``."""
    result: list[vs.VideoNode] = []
    worker = threading.Thread(target=lambda: result.append(build()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"building the graph took over {seconds} s"
    return result[0]


def test_factor_with_a_big_numerator_builds_fast_and_maps_exactly(fake_models):
    """2997/125 (exactly 23.976, as several sources report it) -> 60000/1001 is the factor
    2500000/999999: one SelectEvery period would have 2.5 million offsets."""
    frames = moving_frames(5)
    out = built_within(
        5, lambda: vsstvun.stvun(make_clip(frames, fps=(2997, 125)), scale=2, fps_num=60000, fps_den=1001)
    )
    timing = Timing(5, Fraction(60000, 1001) / Fraction(2997, 125))
    assert out.num_frames == timing.length == 13 and out.fps == Fraction(60000, 1001)
    for n, frame in enumerate(frames_of(out)):
        np.testing.assert_allclose(planes(frame), fake_output(frames, timing.position(n), 2), atol=1e-6)
    windows = recorded_windows(fake_models[-1])
    for centre in range(5):
        assert any(np.array_equal(w, expected_window(frames, centre)) for w in windows), centre
    long = core.std.BlankClip(format=vs.RGBS, width=16, height=16, length=100_000, fpsnum=2997, fpsden=125)
    out = built_within(5, lambda: vsstvun.stvun(long, scale=2, fps_num=60000, fps_den=1001))
    props = out.get_frame(200_000).props  # 200000 * 999999 / 2500000 = 79999.92
    assert (props["STVUN_Source"], props["STVUN_TinNum"], props["STVUN_TinDen"]) == (79_999, 23, 25)


def test_props_come_from_the_nearer_source_frame(fake_models):
    props = {n: {"Tag": n} for n in range(4)}
    out = vsstvun.stvun(make_clip(moving_frames(4), props=props), scale=2, factor_num=4)
    tags = [f.props["Tag"] for f in frames_of(out)]
    assert tags == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]


# --- scene cuts ---------------------------------------------------------------------------------


def two_shots() -> list[np.ndarray]:
    """Frames 0-2 from one shot, 3-5 from another."""
    return moving_frames(3, seed=1) + moving_frames(3, seed=2)


@pytest.mark.parametrize(
    ("props", "detector"),
    [
        ({2: {"_SceneChangeNext": 1}}, dict(sc=False)),
        ({3: {"_SceneChangePrev": 1}}, dict(sc=False)),
        ({3: {"_SceneChangePrev": 1}}, dict(sc_threshold=None)),  # props only, as in vs-rife
        ({}, {}),  # built-in detector
    ],
)
def test_no_blending_across_a_cut(fake_models, props, detector):
    frames = two_shots()
    out = frames_of(vsstvun.stvun(make_clip(frames, props=props), scale=2, factor_num=4, **detector))
    # outputs 8..11 lie between frames 2 and 3 (Tin 0, 1/4, 1/2, 3/4): nearer side, space-only
    for n, side in zip(range(8, 12), (2, 2, 3, 3), strict=True):
        np.testing.assert_array_equal(planes(out[n]), upsample(frames[side], 2))
        assert (out[n].props["STVUN_Source"], out[n].props["STVUN_Tin"]) == (side, 0.0)
    cut_next = [f.props["_SceneChangeNext"] for f in out]
    cut_prev = [f.props["_SceneChangePrev"] for f in out]
    assert cut_next == [int(n == 9) for n in range(24)]
    assert cut_prev == [int(n == 10) for n in range(24)]
    # windows stay inside their shot, replicating the frame at the cut like a clip border
    windows = recorded_windows(fake_models[-1])
    assert any(np.array_equal(w, expected_window(frames, 2, last=2)) for w in windows)
    assert any(np.array_equal(w, expected_window(frames[3:], 0)) for w in windows)


@pytest.mark.parametrize("detector", [dict(sc=False), dict(sc_threshold=None)])
def test_without_a_cut_frames_are_blended(fake_models, detector):
    frames = two_shots()
    out = vsstvun.stvun(make_clip(frames), scale=2, factor_num=4, **detector)
    np.testing.assert_allclose(planes(out.get_frame(9)), upsample(0.75 * frames[2] + 0.25 * frames[3], 2), atol=1e-6)


def test_cut_flag_on_the_last_frame_is_harmless(fake_models):
    """_SceneChangeNext on the last frame has nothing after it; the held tail is unaffected."""
    frames = moving_frames(4)
    out = frames_of(vsstvun.stvun(make_clip(frames, props={3: {"_SceneChangeNext": 1}}), scale=2))
    np.testing.assert_array_equal(planes(out[7]), upsample(frames[3], 2))
    assert not any(f.props["_SceneChangeNext"] or f.props["_SceneChangePrev"] for f in out)


def test_each_gap_is_judged_once(fake_models, monkeypatch):
    """Every output frame asks about the gaps of its windows; the detector runs once per gap."""
    judged = 0

    def counting(a: np.ndarray, b: np.ndarray, threshold: float = scenechange.CUT_THRESHOLD) -> bool:
        nonlocal judged
        judged += 1
        return real(a, b, threshold)

    real = scenechange.is_scene_change
    monkeypatch.setattr(scenechange, "is_scene_change", counting)
    frames = two_shots() + moving_frames(2, seed=3)
    out = frames_of(vsstvun.stvun(make_clip(frames), scale=2, factor_num=4))
    assert judged == len(frames) - 1
    assert [f.props["STVUN_Source"] for f in out[8:12]] == [2, 2, 3, 3]  # the cut is still seen


def thumbs(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [scenechange.thumbnail(f) for f in frames]


def flagged(frames: list[np.ndarray]) -> list[bool]:
    """The default detector's verdict on every gap of ``frames``."""
    return [scenechange.is_scene_change(a, b) for a, b in itertools.pairwise(thumbs(frames))]


def test_detector_on_motion_and_cuts():
    shot, other = moving_frames(4, 256, 144), moving_frames(1, 256, 144, seed=5)
    assert flagged(shot + other) == [False, False, False, True]
    flat = [np.full((144, 256), 0.2, np.float32)] * 3  # a cut to a featureless grey card
    assert flagged(shot[-1:] + [flat]) == [True]


def test_detector_finds_dark_cuts():
    """Luma squeezed into 0.02-0.14: the plain luma change of such a cut is a tenth of a bright one's."""
    dark = [0.02 + 0.12 * f for f in moving_frames(3, 96, 64, seed=1) + moving_frames(3, 96, 64, seed=2)]
    assert flagged(dark) == [False, False, True, False, False]


def test_detector_ignores_fast_pans_of_small_frames():
    """A blocky texture panning 4 px per frame on 96x64 changes most pixels between frames."""
    pan = moving_frames(4 * 5 + 1, 96, 64)[::4]
    assert not any(flagged(pan))


@pytest.mark.parametrize("gains", [(0.1, 0.4, 0.7, 1.0), (3 / 8, 2 / 8, 1 / 8, 0.0)], ids=["fade-in", "to-black"])
def test_detector_ignores_fades(gains):
    """A fade scales luma: correlation does not change, and a last step to black is small."""
    frame = moving_frames(1, 96, 64)[0]
    assert not any(flagged([g * frame for g in gains]))


def test_cut_from_props():
    assert scenechange.cut_from_props({"_SceneChangeNext": 1}, {})
    assert scenechange.cut_from_props({}, {"_SceneChangePrev": 1})
    assert not scenechange.cut_from_props({"_SceneChangePrev": 1}, {"_SceneChangeNext": 1})


@pytest.mark.parametrize(
    ("cuts", "indices"),
    [
        ([False] * 6, [0, 1, 2, 3, 4, 5, 6]),
        ([False, False, False, True, False, False], [0, 1, 2, 3, 3, 3, 3]),  # cut right after X3
        ([False, False, True, False, False, False], [3, 3, 3, 3, 4, 5, 6]),  # cut right before X3
        ([True, False, False, False, True, False], [1, 1, 2, 3, 4, 4, 4]),  # nearest cuts win
        ([True, True, False, False, True, True], [2, 2, 2, 3, 4, 4, 4]),
    ],
)
def test_window_indices(cuts, indices):
    assert scenechange.window_indices(cuts) == indices


# --- caching under VapourSynth threads, the real network ----------------------------------------


@pytest.fixture
def counting_lite(monkeypatch, lite_weights):
    """The real lite network with its window encodes counted."""
    import vsstvun.filter.plugin

    encodes: list[int] = []

    def load(**kwargs):
        net = load_model(**{**kwargs, "model_path": lite_weights(kwargs["scale"])})
        encode = net.encode_window

        def counted(frames):
            encodes.append(1)
            return encode(frames)

        net.encode_window = counted
        return net

    monkeypatch.setattr(vsstvun.filter.plugin, "load_model", load)
    return encodes


@pytest.mark.slow
def test_random_order_many_threads_encode_each_window_once(counting_lite, vs_threads):
    clip = make_clip(moving_frames(8))
    vs_threads(1)
    sequential = [planes(f) for f in frames_of(vsstvun.stvun(clip, scale=2, factor_num=5, factor_den=2))]
    assert len(counting_lite) == 8
    counting_lite.clear()

    vs_threads(4)
    out = vsstvun.stvun(clip, scale=2, factor_num=5, factor_den=2, num_streams=2, cache_windows=8)
    order = list(range(out.num_frames))
    random.Random(1).shuffle(order)
    futures = {n: out.get_frame_async(n) for n in order}
    parallel = {n: planes(future.result()) for n, future in futures.items()}
    assert len(counting_lite) == 8
    for n, expected in enumerate(sequential):
        np.testing.assert_array_equal(parallel[n], expected)


def test_tiny_cache_recomputes_but_stays_correct(fake_models, vs_threads):
    """cache_windows bounds memory: random access then re-encodes evicted windows, same frames."""
    frames = moving_frames(6)
    out = vsstvun.stvun(make_clip(frames), scale=2, factor_num=3, cache_windows=1)
    vs_threads(4)
    order = list(range(out.num_frames)) * 2
    random.Random(2).shuffle(order)
    futures = [(n, out.get_frame_async(n)) for n in order]
    timing = Timing(6, Fraction(3))
    for n, future in futures:
        np.testing.assert_allclose(planes(future.result()), fake_output(frames, timing.position(n), 2), atol=1e-6)
    assert len(fake_models[-1].windows) > 6


def test_network_output_matches_a_direct_model_call(lite_weights):
    """Plumbing check with the real network: planes, range and border window of frame 0."""
    frames = moving_frames(4)
    out = vsstvun.stvun(make_clip(frames), scale=2, model_path=str(lite_weights(2)))
    net = load_model(scale=2, model_path=lite_weights(2))
    with torch.inference_mode():
        state = net.encode_window(torch.from_numpy(expected_window(frames, 0)).unsqueeze(0))
        direct = [net.synthesize(state, t)[0].numpy() for t in (0.0, 0.5)]
    np.testing.assert_allclose(planes(out.get_frame(0)), direct[0], atol=1e-6)
    np.testing.assert_allclose(planes(out.get_frame(1)), direct[1], atol=1e-6)


@pytest.fixture(scope="module")
def fused_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random ``lite`` x2 file with a fusion head that does not merely average."""
    torch.manual_seed(5)
    net = build_model("lite", 2, fusion_ch=8)
    torch.nn.init.normal_(net.fusion.out.weight, std=0.05)
    return save_checkpoint(net, tmp_path_factory.mktemp("fused") / "fused_x2.safetensors")


@pytest.mark.parametrize("temporal", ["warp", "fuse"])
def test_next_window_modes_match_a_direct_model_call(fused_weights, temporal):
    """temporal="warp" / "fuse": in-between frames are ``between`` of X3's and X4's windows,
    centre frames are unchanged; with tiles each tile makes its own part."""
    frames = moving_frames(4)
    path = str(fused_weights)
    joint = vsstvun.stvun(make_clip(frames), scale=2, model_path=path)
    out = vsstvun.stvun(make_clip(frames), scale=2, model_path=path, temporal=temporal)
    net = load_model(scale=2, model_path=fused_weights)
    with torch.inference_mode():
        states = [net.encode_window(torch.from_numpy(expected_window(frames, k)).unsqueeze(0)) for k in (0, 1)]
        direct = net.between(*states, 0.5, temporal)[0].numpy()
    np.testing.assert_array_equal(planes(out.get_frame(0)), planes(joint.get_frame(0)))
    np.testing.assert_allclose(planes(out.get_frame(1)), direct, atol=1e-6)
    assert np.abs(planes(out.get_frame(1)) - planes(joint.get_frame(1))).max() > 1e-3
    tiled = vsstvun.stvun(make_clip(frames), scale=2, model_path=path, temporal=temporal, tiles=(2, 1), overlap=8)
    assert np.abs(planes(tiled.get_frame(1)) - direct).mean() < 0.02


def test_fuse_needs_weights_with_a_fusion_head(lite_weights):
    with pytest.raises(vs.Error, match="^stvun: temporal='fuse' needs weights with a fusion head"):
        vsstvun.stvun(make_clip(moving_frames(2)), scale=2, model_path=str(lite_weights(2)), temporal="fuse")


def test_fuse_with_a_dis_candidate_needs_opencv_up_front(tmp_path, monkeypatch):
    """Without OpenCV, weights whose head takes the DIS frame refuse ``fuse`` when the filter is
    made (not at each frame), saying what to install; other modes still run."""
    import vsstvun.filter.plugin

    path = str(save_checkpoint(build_model("lite", 2, fusion_ch=8, fusion_dis=True), tmp_path / "dis.safetensors"))
    monkeypatch.setattr(vsstvun.filter.plugin, "opencv_available", lambda: False)
    with pytest.raises(
        vs.Error, match="^stvun: temporal='fuse' with these weights: DIS flow needs OpenCV: pip install"
    ):
        vsstvun.stvun(make_clip(moving_frames(2)), scale=2, model_path=path, temporal="fuse")
    assert vsstvun.stvun(make_clip(moving_frames(2)), scale=2, model_path=path, temporal="warp").num_frames == 4


def test_fuse_computes_dis_once_per_pair_of_windows(tmp_path, monkeypatch):
    """At 4x fps the three frames between X3 and X4 share one DIS computation (the engine keeps
    :meth:`STVUN.pair_flows` per pair of windows), and each frame is still ``between`` of the
    two windows given those flows."""
    from vsstvun.model import STVUN

    torch.manual_seed(6)
    net = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True)
    torch.nn.init.normal_(net.fusion.out.weight, std=0.05)
    path = save_checkpoint(net, tmp_path / "split.safetensors")
    pairs = []
    real = STVUN.pair_flows
    monkeypatch.setattr(STVUN, "pair_flows", lambda self, *a: pairs.append(1) or real(self, *a))
    frames = moving_frames(3)
    out = vsstvun.stvun(make_clip(frames), scale=2, factor_num=4, model_path=str(path), temporal="fuse")
    got = [planes(out.get_frame(n)) for n in range(1, 8)]
    assert len(pairs) == 2  # frames 1-3 between X0 and X1, frames 5-7 between X1 and X2
    net = load_model(scale=2, model_path=path)
    with torch.inference_mode():
        states = [net.encode_window(torch.from_numpy(expected_window(frames, k)).unsqueeze(0)) for k in (0, 1, 2)]
        direct = [net.between(*states[k : k + 2], t, "fuse")[0].numpy() for k in (0, 1) for t in (0.25, 0.5, 0.75)]
    for image, expected in zip(got[:3] + got[4:], direct, strict=True):  # got[3]: the centre frame of X1
        np.testing.assert_allclose(image, expected, atol=1e-6)
    # With tiles, DIS runs per tile, still once per pair: 2 pairs x 2 tiles.
    pairs.clear()
    tiled = vsstvun.stvun(
        make_clip(frames), scale=2, factor_num=4, model_path=str(path), temporal="fuse", tiles=(2, 1), overlap=8
    )
    tiled_got = [planes(tiled.get_frame(n)) for n in range(1, 8)]
    assert len(pairs) == 4
    assert np.mean([np.abs(a - b).mean() for a, b in zip(tiled_got, got, strict=True)]) < 0.01
    # Modes that do not read the flows never ask for them (no cache entry, no stream slot).
    pairs.clear()
    warped = vsstvun.stvun(make_clip(frames), scale=2, factor_num=4, model_path=str(path), temporal="warp")
    for n in range(1, 8):
        warped.get_frame(n)
    assert pairs == []


@pytest.mark.slow
def test_tiled_filter_is_close_to_untiled():
    clip = make_clip(moving_frames(3, 96, 64))
    path = None  # the shipped weights: see test_tiling's fixture for why not random ones
    whole = vsstvun.stvun(clip, scale=2, model_path=path)
    tiled = vsstvun.stvun(clip, scale=2, model_path=path, tiles=(2, 2))  # default overlap
    for n, (worst, mean) in ((0, (5e-3, 1e-4)), (1, (5e-3, 1e-4))):  # centre, then the in-between frame
        diff = np.abs(planes(whole.get_frame(n)) - planes(tiled.get_frame(n)))
        assert diff.max() < worst and diff.mean() < mean


def test_rgbh_computes_in_fp32_on_cpu(lite_weights):
    frames = [f.astype(np.float16) for f in moving_frames(3)]
    path = str(lite_weights(2))
    half = vsstvun.stvun(make_clip(frames, fmt=vs.RGBH), scale=2, model_path=path, precision="fp32")
    full = vsstvun.stvun(make_clip(frames), scale=2, model_path=path, precision="fp32")
    assert half.format.id == vs.RGBH
    for n in (0, 1):
        np.testing.assert_allclose(planes(half.get_frame(n)), planes(full.get_frame(n)), atol=1e-3)


def test_bf16_precision_is_close_to_fp32(lite_weights):
    clip, path = make_clip(moving_frames(3)), str(lite_weights(2))
    bf16 = vsstvun.stvun(clip, scale=2, model_path=path, precision="bf16")
    fp32 = vsstvun.stvun(clip, scale=2, model_path=path, precision="fp32")
    assert bf16.format.id == vs.RGBS
    for n in (0, 1):  # centre, then the in-between frame
        diff = np.abs(planes(bf16.get_frame(n)) - planes(fp32.get_frame(n)))
        assert 0 < diff.mean() < 5e-3 and diff.max() < 0.1  # bf16 keeps 8 mantissa bits; PSNR: docs/speed.md


def test_flow_refine_changes_only_the_in_between_frames(lite_weights):
    """The option reaches the model: centre frames never use the flow, in-between frames do."""
    clip, path = make_clip(moving_frames(3)), str(lite_weights(2))
    off = vsstvun.stvun(clip, scale=2, model_path=path, precision="fp32", flow_refine=0)
    on = vsstvun.stvun(clip, scale=2, model_path=path, precision="fp32", flow_refine=5)
    np.testing.assert_array_equal(planes(off.get_frame(0)), planes(on.get_frame(0)))
    assert np.abs(planes(off.get_frame(1)) - planes(on.get_frame(1))).max() > 1e-3


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 is valid where CUDA is")
def test_fp16_precision_needs_cuda():
    with pytest.raises(vs.Error, match="^stvun: precision='fp16' needs CUDA"):
        vsstvun.stvun(rgbs(), precision="fp16")


def test_clip_smaller_than_the_model_grid(lite_weights):
    out = vsstvun.stvun(make_clip(moving_frames(2, 12, 8)), scale=4, model_path=str(lite_weights(4)))
    frame = out.get_frame(1)
    assert (frame.width, frame.height) == (48, 32)
    assert np.isfinite(planes(frame)).all()


# --- errors -------------------------------------------------------------------------------------


def rgbs(length: int = 4, fps: tuple[int, int] = (24, 1)) -> vs.VideoNode:
    return core.std.BlankClip(format=vs.RGBS, width=32, height=32, length=length, fpsnum=fps[0], fpsden=fps[1])


@pytest.mark.parametrize(
    ("clip", "kwargs", "message"),
    [
        (core.std.BlankClip(format=vs.YUV420P8), {}, r"RGBS or RGBH.*resize\.Bicubic\(clip, format=vs\.RGBS"),
        (core.std.BlankClip(format=vs.RGB24), {}, "RGBS or RGBH"),
        (core.std.Splice([rgbs(2), core.std.BlankClip(rgbs(2), width=48)], mismatch=True), {}, "variable frame size"),
        (core.std.Splice([rgbs(2), rgbs(2).resize.Point(format=vs.RGBH)], mismatch=True), {}, "variable format"),
        (rgbs(fps=(0, 1)), dict(factor_num=3, factor_den=2), "fractional but the clip has a variable frame rate"),
        (rgbs(fps=(0, 1)), dict(factor_num=1.5), "fractional but the clip has a variable frame rate"),
        (rgbs(), dict(scale=4.5), "scale must be a whole number"),
        (rgbs(), dict(factor_num="2"), "factor_num must be a number"),
        (rgbs(), dict(tiles=(2,)), r"tiles must be one number or a \(columns, rows\) pair"),
        (rgbs(), dict(tiles=(2, 1.5)), "tiles must be a whole number"),
        (rgbs(), dict(sc_threshold="high"), "sc_threshold must be a number"),
        (rgbs(), dict(device_index="0"), "device_index must be a whole number"),
        (rgbs(), dict(device_index=True), "device_index must be a whole number"),
        (rgbs(), dict(factor_num=10**9), "4000000000 frames, more than VapourSynth's limit"),
        (rgbs(fps=(1, 1)), dict(fps_num=2**64 + 1, fps_den=2**60), "does not fit VapourSynth's 64-bit fps"),
        (rgbs(), dict(model_path=""), "model_path is empty"),
        (rgbs(fps=(0, 1)), dict(fps_num=60), "variable frame rate"),
        (rgbs(), dict(scale=3), "scale must be 4 or 2"),
        (rgbs(), dict(factor_num=0), "factor must be positive"),
        (rgbs(), dict(factor_num=1, factor_den=2), "below 1"),
        (rgbs(), dict(fps_num=12), "below 1"),
        (rgbs(), dict(fps_den=1001), "without fps_num"),
        (rgbs(), dict(tiles=(64, 1)), r"tiles=\(64, 1\) would cut the 32x32 frame"),
        (rgbs(), dict(overlap=-1), "overlap"),
        (rgbs(), dict(num_streams=0), "num_streams"),
        (rgbs(), dict(cache_windows=0), "cache_windows"),
        (rgbs(), dict(sc_threshold=0), "sc_threshold"),
        (rgbs(), dict(precision="int8"), "precision must be one of"),
        (rgbs(), dict(flow_refine=16), "flow_refine must be 0 .off. or an odd window side"),
        (rgbs(), dict(flow_refine=-1), "flow_refine must be 0 .off. or an odd window side"),
        (rgbs(), dict(flow_refine=2.5), "flow_refine must be a whole number"),
        (rgbs(), dict(temporal="fast"), "temporal must be one of 'joint', 'warp', 'fuse', got 'fast'"),
        (rgbs(), dict(model="huge"), "unknown model 'huge'; packaged"),
        (rgbs(), dict(model_path="/nonexistent/stvun.safetensors"), "model_path='/nonexistent.*' does not exist"),
        ("not a clip", {}, "clip must be a video clip"),
    ],
)
def test_errors(clip, kwargs, message):
    with pytest.raises(vs.Error, match="^stvun: .*" + message):
        vsstvun.stvun(clip, **kwargs)


def test_not_a_weights_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("encode settings\n")
    with pytest.raises(vs.Error, match=f"^stvun: model_path='{path}': .*neither a safetensors file nor"):
        vsstvun.stvun(rgbs(), model_path=str(path))


def test_tiles_of_a_few_pixels_are_refused_at_once():
    """32x24 in (16, 12) tiles of 2x2 px used to run 192 padded windows per frame."""
    start = time.perf_counter()
    with pytest.raises(vs.Error, match=r"tiles of about 2x2 LR pixels.*at most \(2, 1\) tiles"):
        vsstvun.stvun(core.std.BlankClip(rgbs(), width=32, height=24), tiles=(16, 12))
    assert time.perf_counter() - start < 5


def test_loose_numbers_mean_what_they_say(fake_models):
    """4.0 is 4, 2.5 is 5/2, a float target rate is its fraction."""
    clip = make_clip(moving_frames(4))
    out = vsstvun.stvun(clip, scale=4.0, factor_num=2.5, tiles=1.0, overlap=16.0, num_streams=1.0)
    assert (out.width, out.height, out.num_frames, out.fps) == (256, 192, 10, Fraction(60))
    assert vsstvun.stvun(clip, scale=2, fps_num=59.94005994005994).fps == Fraction(60000, 1001)
    assert vsstvun.stvun(clip, scale=2, factor_num=Fraction(5, 2)).fps == Fraction(60)


def test_a_still_is_upscaled_in_space(fake_models):
    frame = moving_frames(1)[0]
    out = frames_of(vsstvun.stvun(make_clip([frame]), scale=2, factor_num=5, factor_den=2))
    assert len(out) == 3  # ceil(1 * 5/2): every output frame starting inside the still's time
    for f in out:
        np.testing.assert_array_equal(planes(f), upsample(frame, 2))
        assert (f.props["STVUN_Source"], f.props["STVUN_Tin"]) == (0, 0.0)


def test_corrupt_weights_file(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(vs.Error, match="^stvun: .*not a readable"):
        vsstvun.stvun(rgbs(), model_path=str(path))


def test_weights_of_the_wrong_scale(lite_weights):
    with pytest.raises(vs.Error, match="^stvun: .*x2 model but scale=4"):
        vsstvun.stvun(rgbs(), scale=4, model_path=str(lite_weights(2)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message when CUDA is missing")
def test_cuda_device_without_cuda():
    with pytest.raises(vs.Error, match="^stvun: device_index=0 asks for CUDA"):
        vsstvun.stvun(rgbs(), device_index=0)
