"""vsstvun.data: degradation, decoding, synthetic scenes and training samples (all fixtures generated)."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from vsstvun.data import degrade as dg
from vsstvun.data.codec import RealSources
from vsstvun.data.dataset import (
    SampleConfig,
    STVUNDataset,
    VideoClip,
    build_training_set,
    dihedral,
    make_sample,
    reverse_time,
)
from vsstvun.data.synthetic import CENTRE_TIME, Motion, MotionRange, SyntheticScene
from vsstvun.data.video import read_video


def texture(h: int, w: int, seed: int = 0, cell: int = 4) -> np.ndarray:
    """Smooth random RGB uint8 texture (noise on a ``cell``-px grid, bicubic): trackable, no flat areas."""
    rng = np.random.default_rng(seed)
    small = rng.random((h // cell + 2, w // cell + 2, 3), dtype=np.float32)
    big = cv2.resize(small, ((w // cell + 2) * cell, (h // cell + 2) * cell), interpolation=cv2.INTER_CUBIC)
    return np.clip(big[:h, :w] * 255, 0, 255).astype(np.uint8)


def pan(n: int, h: int, w: int, step: int = 1, seed: int = 0, cell: int = 4) -> np.ndarray:
    """``n`` frames of a texture moving ``step`` px left per frame, ``(n, h, w, 3)`` uint8."""
    strip = texture(h, w + step * n, seed, cell)
    return np.stack([strip[:, i * step : i * step + w] for i in range(n)])


def write_pan_clip(path: Path, n: int, side: int) -> Path:
    """An mp4 of :func:`pan` (``n`` square frames of ``side`` px, 2 px a frame): a training source."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 24, (side, side))
    for frame in pan(n, side, side, step=2, cell=8):
        writer.write(frame[..., ::-1])
    writer.release()
    return path


# --- degradation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "size", "sigma"), [(4, 13, 1.6), (2, 7, 0.8)])
def test_kernel(scale: int, size: int, sigma: float) -> None:
    assert dg.kernel_params(scale) == (size, pytest.approx(sigma))
    k = dg.gaussian_kernel2d(scale)
    assert k.shape == (size, size)
    assert float(k.sum()) == pytest.approx(1.0, abs=1e-12)
    assert torch.equal(k, k.T) and int(k.argmax()) == (size * size) // 2


def test_degrade_shapes_and_crop() -> None:
    hr = torch.rand(2, 8, 3, 37, 50)
    assert dg.degrade(hr, 4).shape == (2, 8, 3, 9, 12)
    assert dg.degrade(hr, 2).shape == (2, 8, 3, 18, 25)
    assert dg.crop_to_scale(hr, 4).shape[-2:] == (36, 48)
    assert torch.allclose(dg.degrade(torch.full((3, 32, 32), 0.3), 4), torch.tensor(0.3))
    with pytest.raises(TypeError):
        dg.degrade(torch.zeros(3, 32, 32, dtype=torch.uint8), 4)
    for scale in (2, 4):  # the crop covers the blur's reach and keeps the LR grid aligned
        assert dg.margin(scale) % scale == 0 and dg.margin(scale) >= dg.kernel_params(scale)[0] // 2


def test_degrade_decimation_offset_zero() -> None:
    """An impulse at HR (8, 12) lands on LR (2, 3) with the kernel's centre weight."""
    hr = torch.zeros(1, 32, 32, dtype=torch.float64)
    hr[0, 8, 12] = 1.0
    lr = dg.degrade(hr, 4)[0]
    k = dg.gaussian_kernel2d(4)
    assert divmod(int(lr.argmax()), lr.shape[1]) == (2, 3)
    assert float(lr[2, 3]) == pytest.approx(float(k[6, 6]))
    assert float(lr[2, 4]) == pytest.approx(float(k[6, 2]))  # 4 HR px to the right of the impulse


def test_degrade_matches_dense_blur() -> None:
    """Strided separable evaluation == dense 2-D blur with reflect padding, sliced [::s, ::s]."""
    x = np.random.default_rng(1).random((20, 24))
    k = dg.gaussian_kernel2d(4).numpy()
    p = np.pad(x, 6, mode="reflect")
    dense = np.array([[np.sum(p[i : i + 13, j : j + 13] * k) for j in range(24)] for i in range(20)])
    assert np.allclose(dg.degrade(torch.from_numpy(x)[None], 4)[0].numpy(), dense[::4, ::4])


# --- decoding ----------------------------------------------------------------------------------


def test_read_frames_dir_natural_order(tmp_path: Path) -> None:
    for i in (1, 2, 10):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), np.full((8, 10, 3), (i, 0, 255), np.uint8))  # BGR
    frames = read_video(tmp_path, start=1, max_frames=2)
    assert frames.shape == (2, 8, 10, 3) and frames.dtype == np.uint8
    assert frames[:, 0, 0].tolist() == [[255, 0, 2], [255, 0, 10]]  # RGB, f2 then f10


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_read_video_backends_agree(tmp_path: Path) -> None:
    """Every reader returns the requested frames of a smooth clip (4:2:0 costs little there)."""
    frames = pan(8, 48, 64, step=3, cell=16)
    path = tmp_path / "clip.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            "64x48",
            "-r",
            "10",
            "-i",
            "-",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "ffv1",
            str(path),
        ],
        input=frames.tobytes(),
        check=True,
    )
    for backend in ("ffmpeg", "opencv", "auto"):
        if backend == "auto":
            pytest.importorskip("vapoursynth")
        got = read_video(path, start=2, stop=7, max_frames=4, backend=backend)
        assert got.shape == (4, 48, 64, 3)
        err = np.abs(got.astype(int) - frames[2:6]).mean()
        limit = 4 if backend == "opencv" else 2  # OpenCV upsamples chroma more coarsely
        assert err < limit and err < 0.5 * np.abs(got.astype(int) - frames[3:7]).mean(), backend
    assert len(read_video(path, start=5)) == 3


# --- synthetic scenes --------------------------------------------------------------------------


def scene(seed: int, **kwargs: object) -> SyntheticScene:
    photos = [texture(96, 128, s) for s in range(3)]
    return SyntheticScene(np.random.default_rng(seed), photos[0], photos[1:], (40, 48), **kwargs)


def test_scene_reproducible_by_seed() -> None:
    a, b, c = scene(5), scene(5), scene(6)
    assert a.render(3).shape == (40, 48, 3) and a.render(3).dtype == np.uint8
    for t in range(8):
        assert np.array_equal(a.render(t), b.render(t))
    assert not np.array_equal(a.render(3), c.render(3))


def test_scene_continuous_in_time() -> None:
    s = scene(1, motion=MotionRange(max_speed=6, sprite_speed=8))
    f = s.render_many([3.3, 3.3 + 1e-3, 4.3]).astype(int)
    assert np.abs(f[1] - f[0]).max() <= 2
    assert np.abs(f[2] - f[0]).mean() > 5 * max(np.abs(f[1] - f[0]).mean(), 0.1)


def test_scene_pure_pan_is_a_shift() -> None:
    s = scene(2, camera=Motion(velocity=(2.0, 0.0)), motion=MotionRange(sprites=(0, 0)))
    f3, f4 = s.render(3).astype(int), s.render(4).astype(int)
    assert np.abs(f4[:, :-2] - f3[:, 2:]).max() <= 1  # the camera moves right: content 2 px left
    assert np.array_equal(s.render(CENTRE_TIME), s.render(CENTRE_TIME))


def test_fewest_sprites_zero_gives_some_pure_camera_moves() -> None:
    """``--min-sprites 0``: some scenes have no foreground layer at all (a pure camera move, as a
    drawn background pans), the rest keep 1-3; the bound is checked."""
    motion = MotionRange().faster(3).fewest_sprites(0)
    assert motion.sprites == (0, 3) and motion.sprite_speed == MotionRange().sprite_speed * 3
    layers = [len(scene(seed, motion=motion).layers) for seed in range(12)]
    assert 0 in layers and max(layers) > 0
    with pytest.raises(ValueError, match="fewest sprites must be in 0..3"):
        MotionRange().fewest_sprites(4)


# --- samples -----------------------------------------------------------------------------------

CFG = SampleConfig(scale=4, patch=32, num_targets=1, strides=(2,), augment=False)


def test_video_clip_sample_layout() -> None:
    frames = pan(30, 56, 60)
    clip = VideoClip(frames, "pan", CFG)
    hr, ts = clip.sample(np.random.default_rng(0))
    assert hr.shape == (9, CFG.side, CFG.side, 3) and ts.tolist() == [0.5]
    s = make_sample(hr, ts, 4)
    assert {k: tuple(v.shape) for k, v in s.items()} == {
        "lr": (8, 3, 8, 8),
        "hr_centre": (3, 32, 32),
        "hr_next": (3, 32, 32),
        "ts": (1,),
        "hr_t": (1, 3, 32, 32),
        "lr_t": (1, 3, 8, 8),
    }
    m = dg.margin(4)
    assert torch.equal(s["hr_centre"], torch.from_numpy(hr[3, m:-m, m:-m]).permute(2, 0, 1).float() / 255)
    # hr_t lies between X3 and X4: stride 2 makes it the odd frame right after X3 (1 px further).
    assert np.array_equal(hr[8, :, :-1], hr[3, :, 1:])


def test_video_windows_avoid_cuts() -> None:
    frames = np.concatenate([pan(20, 48, 48, seed=0), pan(20, 48, 48, seed=9)])
    clip = VideoClip(frames, "cut", CFG)
    span = 7 * 2
    assert all(start + span < 20 or start >= 20 for start in clip.starts[2])
    assert len(clip.starts[2]) == 2 * (20 - span)


def test_reverse_time() -> None:
    s = make_sample(pan(10, 48, 48), np.array([0.25, 0.75], np.float32), 4)
    r = reverse_time(s)
    assert r["ts"].tolist() == [0.25, 0.75]
    assert torch.equal(r["hr_centre"], s["hr_next"]) and torch.equal(r["hr_next"], s["hr_centre"])
    assert torch.equal(r["lr"][3], s["lr"][4]) and torch.equal(r["lr"][0], s["lr"][7])
    assert torch.equal(r["hr_t"][0], s["hr_t"][1]) and torch.equal(r["lr_t"][1], s["lr_t"][0])
    back = reverse_time(r)
    assert all(torch.equal(back[k], s[k]) for k in s)


def test_dihedral_group() -> None:
    x = np.arange(2 * 3 * 3 * 1).reshape(2, 3, 3, 1)
    variants = {dihedral(x, k, f).tobytes() for k in range(4) for f in (False, True)}
    assert len(variants) == 8


class PanSource:
    """A horizontally panning synthetic scene (3 px/frame, no sprites) with random target times."""

    name = "pan"

    def __init__(self, side: int) -> None:
        self.scene = SyntheticScene(
            np.random.default_rng(0),
            texture(160, 160),
            [],
            (side, side),
            MotionRange(sprites=(0, 0)),
            camera=Motion(velocity=(3.0, 0.0)),
        )

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        ts = np.sort(rng.uniform(0.1, 0.9, 2)).astype(np.float32)
        return self.scene.render_many([*range(8), *(3 + ts)]), ts


def shift(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Displacement (x, y) of the content from a to b, by phase correlation on luma."""
    ga, gb = (np.ascontiguousarray(x.mean(0).numpy(), np.float64) for x in (a, b))
    (dx, dy), _ = cv2.phaseCorrelate(ga, gb, cv2.createHanningWindow(ga.shape[::-1], cv2.CV_64F))
    return np.array([dx, dy])


def test_augmented_samples_stay_consistent() -> None:
    cfg = SampleConfig(scale=4, patch=64, num_targets=2, augment=True)
    ds = STVUNDataset([PanSource(cfg.side)], cfg, length=24, seed=3)
    directions = set()
    for i in range(len(ds)):
        s = ds[i]
        assert torch.equal(s["lr"], ds[i]["lr"])  # deterministic
        move = shift(s["hr_centre"], s["hr_next"])
        assert np.linalg.norm(move) == pytest.approx(3, abs=0.3) and min(abs(move)) < 0.3
        directions.add(tuple(np.rint(move).astype(int)))
        for t, hr_t in zip(s["ts"].tolist(), s["hr_t"], strict=True):
            assert shift(s["hr_centre"], hr_t) == pytest.approx(t * move, abs=0.35)
        # LR frames belong to the HR targets (interior, away from the blur's reach of the patch edge)
        for lr, hr in [(s["lr"][3], s["hr_centre"]), (s["lr"][4], s["hr_next"]), (s["lr_t"][0], s["hr_t"][0])]:
            assert torch.allclose(lr[:, 2:-2, 2:-2], dg.degrade(hr, 4)[:, 2:-2, 2:-2], atol=1e-5)
    assert directions == {(3, 0), (-3, 0), (0, 3), (0, -3)}
    assert not torch.equal(STVUNDataset([PanSource(cfg.side)], cfg, 2, seed=4)[0]["lr"], ds[0]["lr"])


@pytest.mark.parametrize("prefix", ["", "stills:"])
def test_an_empty_folder_source_is_refused(tmp_path: Path, prefix: str) -> None:
    """Beside other sources it would drop out of the mix unnoticed."""
    cv2.imwrite(str(tmp_path / "still.png"), texture(90, 120, 4))
    (tmp_path / "empty").mkdir()
    cfg = SampleConfig(scale=4, patch=32, num_targets=1, strides=(2, 4))
    with pytest.raises(ValueError, match="no images .* in .*empty"):
        build_training_set([tmp_path / "still.png", f"{prefix}{tmp_path / 'empty'}"], cfg, length=2)


def test_build_training_set(tmp_path: Path) -> None:
    frames = pan(24, 56, 56)
    (tmp_path / "clip").mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / "clip" / f"{i:03d}.png"), f[..., ::-1])
    cv2.imwrite(str(tmp_path / "still.png"), texture(90, 120, 4))
    (tmp_path / "photos").mkdir()
    for name in ("sea.jpg", "cat.png"):
        cv2.imwrite(str(tmp_path / "photos" / name), texture(70, 80, len(name)))
    cfg = SampleConfig(scale=4, patch=32, num_targets=1, strides=(2, 4))
    ds = build_training_set(
        [tmp_path / "clip", tmp_path / "still.png", tmp_path / "photos"],
        cfg,
        length=6,
        hold_out=4,
        synthetic_fraction=0.25,
    )
    clip, pool = ds.sources
    assert isinstance(clip, VideoClip) and len(clip.frames) == 20 and sorted(clip.starts) == [2]
    assert len(pool.stills) == 3
    assert ds.weights.tolist() == pytest.approx([0.75, 0.25])
    batch = torch.utils.data.default_collate([ds[i] for i in range(len(ds))])
    assert batch["lr"].shape == (6, 8, 3, 8, 8) and batch["hr_t"].shape == (6, 1, 3, 32, 32)
    assert float(batch["ts"].min()) > 0 and float(batch["ts"].max()) < 1

    # The validation split: same sources and mix, reproducible, never one of the training windows
    # (which still come from their original stream), whatever the training set's length.
    val = ds.validation_split(4)
    assert len(val) == 4 and val.sources == ds.sources and val.weights.tolist() == ds.weights.tolist()
    assert torch.equal(val[2]["lr"], ds.validation_split(9)[2]["lr"])
    longer = build_training_set([tmp_path / "clip", tmp_path / "still.png", tmp_path / "photos"], cfg, length=40)
    train_lr = [longer[i]["lr"] for i in range(40)]
    assert not any(torch.equal(val[i]["lr"], t) for i in range(4) for t in train_lr)


def test_a_built_set_pickles_as_its_recipe(tmp_path: Path) -> None:
    """What a spawned DataLoader worker gets: the files to build from, not the decoded pixels,
    and from them the same windows as the set it was pickled from, at its epoch and stream."""
    write_pan_clip(tmp_path / "clip.mp4", 40, 96)
    cv2.imwrite(str(tmp_path / "still.png"), texture(200, 240, 4))
    cfg = SampleConfig(scale=4, patch=32, num_targets=1, strides=(2,))
    ds = build_training_set([tmp_path / "clip.mp4", tmp_path / "still.png"], cfg, length=5, hold_out=4)
    ds.set_epoch(3)
    pixels = sum(s.frames.nbytes for s in ds.sources if isinstance(s, VideoClip))
    for made in (ds, ds.validation_split(2)):
        data = pickle.dumps(made)
        assert len(data) < 4096 < pixels
        copy = pickle.loads(data)
        assert (copy.epoch, copy.stream, len(copy)) == (made.epoch, made.stream, len(made))
        assert all(torch.equal(copy[i]["lr"], made[i]["lr"]) for i in range(len(made)))
    # A set whose files changed since it was built does not quietly draw another mix.
    data = pickle.dumps(ds)
    write_pan_clip(tmp_path / "clip.mp4", 60, 96)
    with pytest.raises(RuntimeError, match="differs"):
        pickle.loads(data)
    # A set made by hand has no recipe, so its pixels travel with it.
    by_hand = STVUNDataset(ds.sources, cfg, 2)
    assert len(pickle.dumps(by_hand)) > pixels
    assert torch.equal(pickle.loads(pickle.dumps(by_hand))[1]["hr_t"], by_hand[1]["hr_t"])


def test_faster_motion_range_moves_further() -> None:
    fast = MotionRange().faster(4)
    with pytest.raises(ValueError):
        MotionRange().faster(0)
    rng = np.random.default_rng(0)
    slow_v = [np.hypot(*MotionRange().draw(rng, MotionRange().max_speed).velocity) for _ in range(200)]
    fast_v = [np.hypot(*fast.draw(rng, fast.max_speed).velocity) for _ in range(200)]
    assert max(slow_v) <= MotionRange().max_speed < max(fast_v) <= fast.max_speed


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_real_degradation_is_deterministic_and_degrades() -> None:
    cfg = SampleConfig(scale=4, patch=64, num_targets=1, augment=False)
    real = STVUNDataset([PanSource(cfg.side)], dataclasses.replace(cfg, real=RealSources(clean=0.25)), 4, seed=1)
    clean = STVUNDataset([PanSource(cfg.side)], cfg, length=4, seed=1)
    samples = [real[i] for i in range(len(real))]
    assert torch.equal(samples[0]["lr"], real[0]["lr"])  # a pure function of (seed, epoch, index)
    psnrs = []
    for got, ref in zip(samples, (clean[i] for i in range(len(clean))), strict=True):
        assert torch.equal(got["hr_centre"], ref["hr_centre"]) and torch.equal(got["lr_t"], ref["lr_t"])
        mse = float((got["lr"] - ref["lr"]).pow(2).mean())
        psnrs.append(10 * np.log10(1 / mse) if mse else np.inf)
    real.set_epoch(1)
    assert not torch.equal(real[0]["lr"], samples[0]["lr"])
    degraded = [p for p in psnrs if np.isfinite(p)]
    assert len(degraded) >= 2 and max(degraded) < 45, psnrs
