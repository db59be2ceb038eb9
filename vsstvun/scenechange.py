"""Scene-cut detection and cut-aware windows (pure numpy, no VapourSynth).

Interpolating across a cut blends two unrelated shots, and feeding frames from another shot to
the spatial branch pollutes the space-only output too. The filter therefore (a) never
interpolates over a cut, showing the nearer side's space-only frame instead, and (b) builds each
7-frame window only from the centre frame's own shot, replicating the frame at the cut the same
way clip borders are replicated.

Cuts come from ``_SceneChangeNext``/``_SceneChangePrev`` already on the clip and, optionally,
from :func:`is_scene_change`: a deliberately simple detector (mean absolute luma difference of
block-averaged thumbnails) that needs no extra plugin. Block averaging makes it robust to grain
and small motion; hard cuts change the mean luma of most blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: BT.709 luma weights; the exact matrix hardly matters for cut detection.
_LUMA = (0.2126, 0.7152, 0.0722)
#: Thumbnails are at most this many blocks on their short side.
_THUMB_SIDE = 32


def thumbnail(rgb: Sequence[np.ndarray]) -> np.ndarray:
    """Block-averaged float32 luma of an RGB frame given as three ``(H, W)`` planes."""
    h, w = rgb[0].shape
    block = max(1, min(h, w) // _THUMB_SIDE)
    th, tw = h // block, w // block
    luma = np.zeros((th, tw), np.float32)
    for weight, plane in zip(_LUMA, rgb, strict=True):
        blocks = np.asarray(plane, np.float32)[: th * block, : tw * block]
        luma += weight * blocks.reshape(th, block, tw, block).mean(axis=(1, 3))
    return luma


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two thumbnails, in [0, 1] for [0, 1] input."""
    return float(np.mean(np.abs(a - b)))


def is_scene_change(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    """Whether thumbnails ``a`` and ``b`` of consecutive frames are on opposite sides of a cut."""
    return difference(a, b) > threshold


def cut_from_props(before: Mapping[str, object], after: Mapping[str, object]) -> bool:
    """Cut flagged by props between consecutive frames (``_SceneChangeNext`` / ``_SceneChangePrev``)."""
    return bool(before.get("_SceneChangeNext", 0)) or bool(after.get("_SceneChangePrev", 0))


def window_indices(cuts: Sequence[bool]) -> list[int]:
    """Positions to feed the model for a 7-frame window, staying inside the centre's shot.

    ``cuts[k]`` says whether a cut lies between window positions ``k`` and ``k + 1`` (6 flags).
    Positions beyond the nearest cut on each side are replaced by the last position before it,
    exactly like edge replication at clip borders.
    """
    if len(cuts) != 6:
        raise ValueError(f"a 7-frame window has 6 gaps, got {len(cuts)} cut flags")
    first, last = 0, 6
    for k in range(2, -1, -1):  # gaps left of the centre, nearest first
        if cuts[k]:
            first = k + 1
            break
    for k in range(3, 6):  # gaps right of the centre, nearest first
        if cuts[k]:
            last = k
            break
    return [min(max(p, first), last) for p in range(7)]
