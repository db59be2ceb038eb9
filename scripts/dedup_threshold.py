"""Measure the dedup metric on x264-encoded anime-like clips, to pick ``dedup_threshold``.

Renders three synthetic 640x360 clips at 24000/1001 (flat colours, dark outlines, antialiased):

* ``twos``: a disc moves 6 px per drawing, on twos, over a still background;
* ``small``: only an "eye" (10x6 px) moves, 1 px per drawing, on twos: the smallest real change;
* ``pan``: the whole picture pans 1 px per frame (a slow camera pan: every frame is new).

Each is encoded with ffmpeg/libx264 (yuv420p, keyint 24 so copies straddle I-frames too), decoded
with ``bs.VideoSource`` and converted to RGBS exactly as ``examples/anime_dedup.vpy`` does, and
the filter's own metric (:func:`vsstvun.filter.dedup_metric.with_difference`) is read per pair of
consecutive frames. Prints, per CRF, the largest value over held pairs (copies of one drawing)
and the smallest over distinct pairs; a threshold between the two separates them.

    python scripts/dedup_threshold.py [--crf 18 23 28] [--tune none animation]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import vapoursynth as vs

from vsstvun.filter.dedup_metric import PROP, with_difference

WIDTH, HEIGHT, FRAMES, SUPER = 640, 360, 48, 2


def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates of a supersampled canvas, in output pixels."""
    ys, xs = np.mgrid[0 : height * SUPER, 0 : width * SUPER].astype(np.float32)
    return (xs + 0.5) / SUPER, (ys + 0.5) / SUPER


def _ellipse(canvas: np.ndarray, xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, rx: float, ry: float, colour):
    """Draw a flat ``colour`` ellipse with a 2 px dark outline (anime cel style)."""
    r = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    canvas[r <= 1 + 2 / min(rx, ry)] = (0.1, 0.08, 0.1)
    canvas[r <= 1] = colour


def _background(width: int) -> np.ndarray:
    """A still cel background ``width`` px wide: sky gradient, hills, houses, outlines."""
    xs, ys = _grid(width, HEIGHT)
    canvas = np.empty((*xs.shape, 3), np.float32)
    canvas[:] = np.stack([0.45 + 0.3 * ys / HEIGHT, 0.65 + 0.2 * ys / HEIGHT, np.full_like(ys, 0.9)], -1)
    rng = np.random.default_rng(3)
    for _ in range(width // 40):
        cx, cy = rng.uniform(0, width), rng.uniform(HEIGHT * 0.5, HEIGHT)
        _ellipse(canvas, xs, ys, cx, cy, rng.uniform(30, 90), rng.uniform(20, 50), rng.uniform(0.2, 0.8, 3))
    return canvas


def _downsample(canvas: np.ndarray) -> np.ndarray:
    """Box-filter the supersampled canvas: antialiased 8-bit RGB."""
    h, w = canvas.shape[0] // SUPER, canvas.shape[1] // SUPER
    small = canvas.reshape(h, SUPER, w, SUPER, 3).mean(axis=(1, 3))
    return np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)


def _on_twos(draw: Callable[[int], np.ndarray]) -> tuple[list[np.ndarray], list[bool]]:
    """Frames of drawings held for two frames each; ``held[i]``: frame i copies frame i - 1."""
    drawings = [draw(d) for d in range(FRAMES // 2)]
    return [drawings[i // 2] for i in range(FRAMES)], [i % 2 == 1 for i in range(FRAMES)]


def scenes() -> dict[str, tuple[list[np.ndarray], list[bool]]]:
    """``name -> (frames, held)`` for the three test clips."""
    still = _background(WIDTH)
    xs, ys = _grid(WIDTH, HEIGHT)

    def disc(d: int) -> np.ndarray:
        canvas = still.copy()
        _ellipse(canvas, xs, ys, 120 + 6 * d, 170, 40, 40, (0.95, 0.75, 0.6))
        return _downsample(canvas)

    face = still.copy()
    _ellipse(face, xs, ys, 320, 180, 80, 100, (0.95, 0.8, 0.7))
    _ellipse(face, xs, ys, 350, 160, 14, 10, (1.0, 1.0, 1.0))

    def eye(d: int) -> np.ndarray:
        canvas = face.copy()
        inside = ((xs - 346 - d) / 5) ** 2 + ((ys - 160) / 3) ** 2 <= 1
        canvas[inside] = (0.1, 0.08, 0.1)
        return _downsample(canvas)

    wide = _downsample(_background(WIDTH + FRAMES))
    pan = [np.ascontiguousarray(wide[:, i : i + WIDTH]) for i in range(FRAMES)]
    return {"twos": _on_twos(disc), "small": _on_twos(eye), "pan": (pan, [False] * FRAMES)}


def add_grain(frames: list[np.ndarray], sigma: float, seed: int = 0) -> list[np.ndarray]:
    """Fresh Gaussian grain of ``sigma`` 8-bit levels on every frame (copies get different grain)."""
    rng = np.random.default_rng(seed)
    noisy = (f + rng.normal(0, sigma, f.shape) for f in frames)
    return [np.clip(np.round(f), 0, 255).astype(np.uint8) for f in noisy]


def encode(frames: list[np.ndarray], path: Path, crf: int, tune: str) -> None:
    """H.264 via ffmpeg, BT.709 yuv420p like a typical anime release."""
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    command += ["-s", f"{WIDTH}x{HEIGHT}", "-r", "24000/1001", "-i", "-"]
    command += ["-vf", "scale=out_color_matrix=bt709", "-colorspace", "bt709", "-c:v", "libx264"]
    command += ["-crf", str(crf), "-x264-params", "keyint=24", "-pix_fmt", "yuv420p"]
    command += [] if tune == "none" else ["-tune", tune]
    subprocess.run([*command, str(path)], input=b"".join(f.tobytes() for f in frames), check=True)


def metric(path: Path) -> list[float]:
    """The filter's metric for every frame of an encoded file (frame i against frame i - 1)."""
    clip = vs.core.bs.VideoSource(source=str(path))
    rgb = vs.core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="709")
    annotated = with_difference(rgb)
    return [annotated.get_frame(n).props[PROP] for n in range(annotated.num_frames)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crf", type=int, nargs="+", default=[18, 23, 28])
    parser.add_argument("--tune", nargs="+", default=["none", "animation"])
    parser.add_argument("--grain", type=float, nargs="+", default=[0.0], help="grain sigma, 8-bit levels")
    args = parser.parse_args()
    clips = scenes()
    print("| CRF | tune | grain | held pairs, max (twos / small) | distinct pairs, min (twos / small / pan) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for crf, tune, grain in itertools.product(args.crf, args.tune, args.grain):
            held, distinct = {}, {}
            for name, (frames, is_held) in clips.items():
                path = Path(folder) / f"{name}.mkv"
                encode(add_grain(frames, grain) if grain else frames, path, crf, tune)
                values = metric(path)[1:]
                pairs = is_held[1:]
                if any(pairs):
                    held[name] = max(v for v, h in zip(values, pairs, strict=True) if h)
                distinct[name] = min(v for v, h in zip(values, pairs, strict=True) if not h)
            held_text = " / ".join(f"{v:.4f}" for v in held.values())
            distinct_text = " / ".join(f"{v:.4f}" for v in distinct.values())
            print(f"| {crf} | {tune} | {grain:g} | {held_text} | {distinct_text} |", flush=True)


if __name__ == "__main__":
    main()
