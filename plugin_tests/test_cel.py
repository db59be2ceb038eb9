"""vsstvun.data.clipart / cel: clip-art layers, held drawings, the split and cartoon samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from vsstvun.data import celclip, clipart
from vsstvun.data.dataset import CelPool, SampleConfig, build_training_set, render_window, window_times
from vsstvun.data.synthetic import Motion, MotionRange, SyntheticScene

needs_rsvg = pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs rsvg-convert (librsvg2-bin)")

#: A black-outlined yellow disc in the top-left quarter of a large, otherwise empty page.
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
<circle cx="50" cy="50" r="40" fill="#ffd000" stroke="#000" stroke-width="4"/></svg>"""


def drawing(h: int, w: int, seed: int = 0) -> np.ndarray:
    """An RGBA uint8 cartoon: a random flat-coloured disc with a dark outline on transparency."""
    rgb = tuple(int(c) for c in np.random.default_rng(seed).integers(60, 255, 3))
    image = np.zeros((h, w, 4), np.uint8)
    cv2.ellipse(image, (w // 2, h // 2), (w // 2 - 2, h // 2 - 2), 0, 0, 360, (*rgb, 255), -1, cv2.LINE_AA)
    cv2.ellipse(image, (w // 2, h // 2), (w // 2 - 2, h // 2 - 2), 0, 0, 360, (10, 10, 10, 255), 2, cv2.LINE_AA)
    return image


@needs_rsvg
@pytest.mark.parametrize("side", [48, 160])
def test_render_svg_is_a_sharp_matte_at_the_requested_size(tmp_path: Path, side: int) -> None:
    svg = tmp_path / "disc.svg"
    svg.write_text(SVG)
    rgba = clipart.render_svg(svg, side)
    assert rgba is not None and rgba.dtype == np.uint8 and max(rgba.shape[:2]) == side  # cropped to the drawing
    alpha = rgba[..., 3]
    assert (alpha == 0).any() and (alpha == 255).mean() > 0.5  # hard transparent and opaque regions
    edge = (alpha > 0) & (alpha < 255)
    assert edge.sum() < 2.5 * np.pi * side  # a matte edge about one pixel wide around the disc
    luma = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    inside = cv2.erode((alpha == 255).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    step = np.abs(np.diff(luma, axis=1))[inside[:, 1:] & inside[:, :-1]]
    assert step.max() > 120  # yellow fill to black outline within one pixel: not blurred by scaling


def test_split_is_fixed_and_disjoint(tmp_path: Path) -> None:
    names = [f"drawing_{i:04d}" for i in range(800)]
    for i, name in enumerate(names):
        folder = tmp_path / "svg" / clipart.CATEGORIES[i % 2] / ("sub" if i % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.svg").write_text(SVG)
    (tmp_path / "svg" / clipart.CATEGORIES[0] / "sub" / "drawing_0000.svg").write_text(SVG)  # a second copy
    (tmp_path / "svg" / "shapes").mkdir()
    (tmp_path / "svg" / "shapes" / "square.svg").write_text(SVG)  # not a used category
    svgs = clipart.list_svgs(tmp_path / "svg")
    assert [p.stem for p in svgs] == names
    train, held = clipart.split(svgs)
    assert {p.stem for p in train}.isdisjoint(p.stem for p in held) and len(train) + len(held) == len(names)
    assert 0.08 < len(held) / len(names) < 0.17 and all(clipart.held_out(p.stem) for p in held)
    pngs = tmp_path / "png"
    pngs.mkdir()
    for name in names[:100]:
        cv2.imwrite(str(pngs / f"{name}.png"), drawing(20, 30))
    from_cache = clipart.layer_files(pngs, training=True)
    assert [p.stem for p in from_cache] == [p.stem for p in train if p.stem in names[:100]]
    assert {p.stem for p in clipart.layer_files(pngs, training=False)} == {p.stem for p in held} & set(names[:100])


def test_held_drawings_stay_put_while_the_camera_pans() -> None:
    size = (48, 64)
    still_cam = dict(camera=Motion(), cels=[drawing(40, 40)])
    fast = MotionRange(sprites=(1, 1), sprite_speed=6.0, holds=(2,))
    scene = SyntheticScene(np.random.default_rng(3), np.full((200, 200, 3), 90, np.uint8), [], size, fast, **still_cam)
    phase = scene.layers[0].phase
    k = phase + 2  # a hold starts here and covers [k, k + 2)
    frames = scene.render_many([k, k + 0.25, k + 0.5, k + 1, k + 1.75, k + 2])
    for f in frames[1:5]:
        assert np.array_equal(f, frames[0])
    assert not np.array_equal(frames[5], frames[0])

    # the camera pans smoothly; a screen-fixed held drawing keeps its pixels, the background moves
    background = (np.indices((300, 300)).sum(0) % 23 * 10).astype(np.uint8)[..., None].repeat(3, 2)
    pan = SyntheticScene(
        np.random.default_rng(3), background, [], size, fast, camera=Motion(velocity=(2.0, 0.0)), cels=[drawing(40, 40)]
    )
    layer = pan.layers[0]
    k = layer.phase + 2
    a, b = pan.render(k), pan.render(k + 1)
    assert not np.array_equal(a, b)
    probe = SyntheticScene(
        np.random.default_rng(3), np.zeros_like(background), [], size, fast, camera=Motion(), cels=[drawing(40, 40)]
    )
    covered = (probe.render(k).max(-1) > 0).astype(np.uint8)  # the drawing's pixels (its background is black)
    covered = cv2.erode(covered, np.ones((5, 5), np.uint8), borderValue=0).astype(bool)  # inside the matte edge
    assert covered.mean() > 0.1 and np.array_equal(a[covered], b[covered])


def test_anchored_drawings_move_with_the_background() -> None:
    flat = np.full((300, 300, 3), 90, np.uint8)
    motion = MotionRange(sprites=(1, 1), sprite_speed=0.0, max_spin=0.0, max_zoom=0.0, anchored=1.0)
    scene = SyntheticScene(
        np.random.default_rng(0), flat, [], (48, 64), motion, camera=Motion(velocity=(3.0, 0.0)), cels=[drawing(30, 30)]
    )
    assert scene.layers[0].anchored
    a, b = (scene.render(t).astype(int) for t in (3, 4))
    assert np.abs(b[:, :-3] - a[:, 3:]).max() <= 1  # the whole picture shifts 3 px left, drawing included


def test_cel_samples_and_training_source(tmp_path: Path) -> None:
    cfg = SampleConfig(scale=4, patch=32, num_targets=2)
    pool = CelPool([drawing(50, 40, s) for s in range(3)], [], cfg)
    frames, ts = pool.sample(np.random.default_rng(0))
    again, _ = pool.sample(np.random.default_rng(0))
    assert frames.shape == (10, cfg.side, cfg.side, 3) and np.array_equal(frames, again)
    assert ts.shape == (2,) and 0 < ts[0] < ts[1] < 1
    for name in ("a_cat", "b_dog", "c_car", "d_tree"):
        (tmp_path / "cels").mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / "cels" / f"{name}.png"), drawing(60, 50))
    cv2.imwrite(str(tmp_path / "photo.png"), np.full((90, 120, 3), 128, np.uint8))
    ds = build_training_set([f"cel:{tmp_path / 'cels'}", tmp_path / "photo.png"], cfg, length=2, cel_fraction=0.5)
    still_pool, cel_pool = ds.sources
    assert isinstance(cel_pool, CelPool) and len(cel_pool.photos) == 1
    assert len(cel_pool.cels) == len(clipart.cached_layers(tmp_path / "cels")) and ds.weights.tolist() == [0.5, 0.5]
    assert max(max(c.shape[:2]) for c in cel_pool.cels) <= cfg.side
    assert ds[0]["lr"].shape == (8, 3, 8, 8)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_cel_windows_step_whole_animation_frames(stride: int) -> None:
    """At ``cel_strides`` s the inputs are s animation frames apart, on integer times (where
    held drawings change) around the scene's centre, and the in-between frame at t lies t of
    the way: a 3 px/frame pan moves 3 s px from X3 to X4 and 3 s t px to the target."""
    times = window_times(stride)
    assert times == [times[0] + stride * k for k in range(8)] and all(t == int(t) for t in times)
    assert abs((times[3] + times[4]) / 2 - 3.5) <= 0.5
    flat = np.tile(np.arange(400, dtype=np.uint8)[None, :, None] % 251, (300, 1, 3))
    camera = Motion(velocity=(3.0, 0.0))
    scene = SyntheticScene(np.random.default_rng(0), flat, [], (24, 64), MotionRange(), camera=camera, half_span=12)
    frames, ts = render_window(scene, np.random.default_rng(1), 1, stride)
    shift = 3 * stride
    assert np.abs(frames[4, :, :-shift].astype(int) - frames[3, :, shift:]).max() <= 1
    assert np.array_equal(frames[8], scene.render(float((times[3] + stride * ts)[0])))
    with pytest.raises(ValueError, match="cel_strides"):
        SampleConfig(cel_strides=(0,))


def test_held_out_clip_is_deterministic(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"held_{i}.png")
        cv2.imwrite(str(paths[-1]), drawing(40, 30, i))
    a = celclip.held_out_clip(paths, n=5, size=(32, 48))
    assert a.shape == (5, 32, 48, 3) and np.array_equal(a, celclip.held_out_clip(paths, n=5, size=(32, 48)))
    out = celclip.write_frames(a, tmp_path / "clip")
    assert np.array_equal(cv2.imread(str(out / "00004.png"))[..., ::-1], a[4])  # lossless
