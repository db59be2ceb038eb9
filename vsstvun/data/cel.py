"""Cartoon ("cel") scenes: clip-art layers over painted or photographic backgrounds.

Training (:class:`vsstvun.data.dataset.CelPool`, source spec ``cel:FOLDER``) draws random scenes
from the training side of the clip-art split (:mod:`vsstvun.data.clipart`) with
:data:`CEL_MOTION`: pans, zooms, rotations, layers occluding each other and the background, half
of them fixed to the background, drawings held on ones, twos or threes.

Evaluation: ``python -m vsstvun.data.cel --out DIR`` renders the held-out cel clip, a fixed
64-frame 640x352 shot made only of held-out drawings over a painted background, as lossless PNG
frames (``DIR/00000.png`` ...), so the evaluation's ground truth is exact. It is deterministic
for a given openclipart-svg package and librsvg: same seed, same drawings, same pixels.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from . import clipart
from .synthetic import CENTRE_TIME, MotionRange, SyntheticScene

#: Motion of training cel scenes: the photo scenes' ranges, more spin, drawings held for 1-3 frames.
CEL_MOTION = dataclasses.replace(MotionRange(), max_spin=0.04, holds=(1, 2, 2, 3), anchored=0.5)
#: The held-out clip: steady pans (no acceleration over 64 frames), 4 drawings, mild rotation.
CLIP_MOTION = MotionRange(
    max_speed=4.0,
    max_accel=0.0,
    max_spin=0.004,
    max_zoom=0.004,
    sprite_speed=4.0,
    sprites=(4, 4),
    max_density=1.0,
    holds=(1, 2, 3),
    anchored=0.5,
)
CLIP_FRAMES, CLIP_SIZE, CLIP_SEED = 64, (352, 640), 15


def painted_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """A ``side`` x ``side`` RGB ``uint8`` "painted" background: a two-colour gradient (sky, floor)
    under flat-coloured anti-aliased shapes, some with dark outlines, like an anime backdrop."""
    a, b = rng.uniform(40, 250, (2, 3))
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    ramp = (np.cos(angle) * x + np.sin(angle) * y)[..., None]
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    image = np.ascontiguousarray((a * (1 - ramp) + b * ramp).astype(np.uint8))
    for _ in range(int(rng.integers(6, 16))):
        colour = tuple(int(c) for c in rng.uniform(20, 240, 3))
        centre = rng.uniform(0, side, 2)
        if rng.uniform() < 0.5:
            axes = (int(rng.uniform(0.03, 0.3) * side), int(rng.uniform(0.03, 0.3) * side))
            pts = cv2.ellipse2Poly(tuple(int(c) for c in centre), axes, int(rng.uniform(0, 180)), 0, 360, 10)
        else:
            n = int(rng.integers(3, 8))
            radius = rng.uniform(0.05, 0.35) * side * rng.uniform(0.5, 1.0, n)
            angles = np.sort(rng.uniform(0, 2 * np.pi, n))
            pts = np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], 1)
            pts = pts.astype(np.int32)
        cv2.fillPoly(image, [pts], colour, lineType=cv2.LINE_AA)
        if rng.uniform() < 0.5:
            cv2.polylines(image, [pts], True, (20, 20, 25), int(rng.integers(1, 4)), lineType=cv2.LINE_AA)
    return image


def cel_scene(
    rng: np.random.Generator,
    cels: Sequence[np.ndarray],
    photos: Sequence[np.ndarray],
    size: tuple[int, int],
    motion: MotionRange = CEL_MOTION,
    half_span: float = CENTRE_TIME,
) -> SyntheticScene:
    """A random cel scene of ``size`` (h, w): drawn layers from ``cels`` (RGBA ``uint8``) over a
    painted background, or over one of ``photos`` half of the time when there are any."""
    if not cels:
        raise ValueError("a cel scene needs at least one drawing")
    if photos and rng.uniform() < 0.5:
        background = photos[int(rng.integers(len(photos)))]
    else:
        background = painted_background(rng, 2 * max(size) + 64)
    return SyntheticScene(rng, background, [], size, motion, cels=cels, half_span=half_span)


def clip_times(n: int = CLIP_FRAMES) -> list[float]:
    """Integer times of an ``n``-frame clip centred on the scene's centre time."""
    first = round(CENTRE_TIME - (n - 1) / 2)
    return [float(first + i) for i in range(n)]


def held_out_clip(
    paths: Sequence[Path], n: int = CLIP_FRAMES, size: tuple[int, int] = CLIP_SIZE, seed: int = CLIP_SEED
) -> np.ndarray:
    """The held-out cel clip ``(n, H, W, 3)`` ``uint8`` from the held-out drawings' PNGs ``paths``."""
    if not paths:
        raise FileNotFoundError("no held-out drawings")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(paths), min(len(paths), 16), replace=False)
    cels = [clipart.read_layer(paths[int(i)]) for i in sorted(chosen)]
    times = clip_times(n)
    half_span = max(abs(t - CENTRE_TIME) for t in times) + 1
    background = painted_background(rng, 2 * max(size) + 256)
    scene = SyntheticScene(rng, background, [], size, CLIP_MOTION, cels=cels, half_span=half_span)
    return scene.render_many(times)


def write_frames(frames: np.ndarray, out: str | Path) -> Path:
    """Write RGB frames as ``out/00000.png`` ... (lossless) and return the folder."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m vsstvun.data.cel", description="Render the held-out cel clip.")
    p.add_argument("--out", type=Path, required=True, help="folder for the PNG frames")
    p.add_argument(
        "--clipart",
        type=Path,
        default=clipart.CLIPART_ROOT,
        help="openclipart SVG root or a folder of rendered PNGs",
    )
    p.add_argument("--frames", type=int, default=CLIP_FRAMES)
    a = p.parse_args(argv)
    folder = write_frames(held_out_clip(clipart.layer_files(a.clipart, training=False), a.frames), a.out)
    print(f"wrote {a.frames} frames of {CLIP_SIZE[1]}x{CLIP_SIZE[0]} to {folder}")


if __name__ == "__main__":
    main()
