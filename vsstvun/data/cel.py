"""Cartoon ("cel") scenes: clip-art layers over painted or photographic backgrounds.

Training (:class:`vsstvun.data.dataset.CelPool`, source spec ``cel:FOLDER``) draws random scenes
from the training side of the clip-art split (:mod:`vsstvun.data.clipart`) with
:data:`CEL_MOTION`: pans, zooms, rotations, layers occluding each other and the background, half
of them fixed to the background, drawings held on ones, twos or threes.
The held-out evaluation clip is :mod:`vsstvun.data.celclip`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from .synthetic import CENTRE_TIME, MotionRange, SyntheticScene

#: Motion of training cel scenes: the photo scenes' ranges, more spin, drawings held for 1-3 frames.
CEL_MOTION = dataclasses.replace(MotionRange(), max_spin=0.04, holds=(1, 2, 2, 3), anchored=0.5)
#: Painted backgrounds' shapes are up to about half this size (px).
SHAPE_UNIT = 512


def painted_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """A ``side`` x ``side`` RGB ``uint8`` "painted" background: a two-colour gradient (sky, floor)
    under flat-coloured anti-aliased shapes, some with dark outlines, like an anime backdrop.
    Shapes are sized in units of :data:`SHAPE_UNIT` px and their number grows with the area, so
    a larger background shows more shapes, not larger ones."""
    a, b = rng.uniform(40, 250, (2, 3))
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    ramp = (np.cos(angle) * x + np.sin(angle) * y)[..., None]
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    image = np.ascontiguousarray((a * (1 - ramp) + b * ramp).astype(np.uint8))
    unit = SHAPE_UNIT
    for _ in range(int(rng.integers(6, 16) * (side / unit) ** 2)):
        colour = tuple(int(c) for c in rng.uniform(20, 240, 3))
        centre = rng.uniform(0, side, 2)
        if rng.uniform() < 0.5:
            axes = (int(rng.uniform(0.03, 0.3) * unit), int(rng.uniform(0.03, 0.3) * unit))
            pts = cv2.ellipse2Poly(tuple(int(c) for c in centre), axes, int(rng.uniform(0, 180)), 0, 360, 10)
        else:
            n = int(rng.integers(3, 8))
            radius = rng.uniform(0.05, 0.35) * unit * rng.uniform(0.5, 1.0, n)
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
