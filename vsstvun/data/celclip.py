"""The held-out cel clip: ground truth for evaluating cartoon content.

``python -m vsstvun.data.celclip --out DIR`` renders a fixed 64-frame 640x352 shot (LR 160x88 at
x4, 320x176 at x2) made only of held-out drawings (:func:`vsstvun.data.clipart.held_out`) over a
painted background, as lossless PNG frames ``DIR/00000.png`` ..., so the evaluation's ground truth
is exact. The camera pans steadily and slowly rotates and zooms; four drawings move, rotate and
occlude each other, half of them fixed to the background, each held on ones, twos or threes. It
is deterministic for a given openclipart-svg package and librsvg: same seed, drawings and pixels.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from . import clipart
from .cel import painted_background
from .synthetic import CENTRE_TIME, MotionRange, SyntheticScene

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
    chosen = rng.choice(len(paths), min(len(paths), CLIP_MOTION.sprites[1]), replace=False)
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
    p = argparse.ArgumentParser(prog="python -m vsstvun.data.celclip", description="Render the held-out cel clip.")
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
