"""Scene-cut detection and cut-aware windows (pure numpy, no VapourSynth).

Interpolating across a cut blends two unrelated shots, and feeding frames from another shot to
the spatial branch pollutes the space-only output too. The filter therefore (a) never
interpolates over a cut, showing the nearer side's space-only frame instead, and (b) builds each
7-frame window only from the centre frame's own shot, replicating the frame at the cut the same
way clip borders are replicated.

Cuts come from ``_SceneChangeNext``/``_SceneChangePrev`` already on the clip and, optionally,
from :func:`is_scene_change`, a detector that needs no extra plugin. It scores a pair of frames
by how little their block-averaged luma thumbnails correlate at the best shift (:func:`difference`):

* correlation ignores gain and offset, so a cut between two dark shots scores like a bright one
  and a fade (luma scaled from frame to frame) scores near zero; a plain luma difference (as in
  ``misc.SCDetect``) misses dark cuts and flags fast pans;
* the search over shifts of up to :data:`SEARCH` thumbnail pixels follows pans of about an
  eighth of the short side per frame, and a light blur of the thumbnails absorbs what a whole
  pixel shift cannot explain: sub-pixel motion, zooms, grain;
* a frame with almost no contrast (black between shots, the end of a fade) has no structure to
  correlate, so there the score falls back to the mean luma change: a fade's last step is small,
  a jump to a flat grey card is not.

Props set by another filter are honoured as well, never overridden: a gap is a cut if either the
props or the detector say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: BT.709 luma weights; the exact matrix hardly matters for cut detection.
_LUMA = (0.2126, 0.7152, 0.0722)
#: Thumbnails are at most this many blocks on their short side.
_THUMB_SIDE = 32
#: Largest shift (thumbnail pixels, each axis) searched between two frames.
SEARCH = 4
#: Binomial kernel (about a Gaussian of sigma 1) blurring thumbnails before they are compared.
_BLUR = np.array([1, 4, 6, 4, 1], np.float32) / 16
#: Luma standard deviation below which a thumbnail counts as flat (no structure to correlate).
_FLAT = 0.003
#: Mean luma change that scores 1 between flat frames.
_FLAT_SCALE = 0.2
#: Default threshold on :func:`difference` (1 - correlation): the filter's ``sc_threshold``.
CUT_THRESHOLD = 0.4


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


def _blur(thumb: np.ndarray) -> np.ndarray:
    """Separable binomial blur with replicated borders."""
    pad = len(_BLUR) // 2
    out = np.pad(thumb, pad, mode="edge")
    out = sum(w * out[i : i + thumb.shape[0]] for i, w in enumerate(_BLUR))
    return sum(w * out[:, i : i + thumb.shape[1]] for i, w in enumerate(_BLUR))


def best_correlation(a: np.ndarray, b: np.ndarray, search: int = SEARCH) -> float:
    """Highest correlation of ``a``'s centre with ``b`` shifted by up to ``search`` pixels per axis.

    The centre is ``a`` less ``search`` pixels on each side (less on tiny thumbnails), so every
    shifted window of ``b`` lies inside ``b`` and all shifts are scored on as many pixels.
    """
    r = max(0, min(search, (min(a.shape) - 2) // 4))
    centre = a[r : a.shape[0] - r, r : a.shape[1] - r]
    centre = centre - centre.mean()
    windows = sliding_window_view(b, centre.shape)  # (2r+1, 2r+1, h, w)
    means = windows.mean(axis=(2, 3))
    cov = np.einsum("ijkl,kl->ij", windows, centre) / centre.size
    var = np.maximum(np.einsum("ijkl,ijkl->ij", windows, windows) / centre.size - means**2, 0)
    denom = np.sqrt(var * np.mean(centre**2))
    rho = np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 1e-12)
    return float(rho.max())


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Cut score of two thumbnails in [0, 1]: 1 - best correlation, the mean luma change if flat.

    Between textured frames this is ``1 - max(0, best_correlation)``; as the flatter frame's
    contrast drops under :data:`_FLAT` it blends into ``|mean change| / _FLAT_SCALE``.
    """
    a, b = _blur(a), _blur(b)
    texture = min(1.0, min(float(a.std()), float(b.std())) / _FLAT)
    structural = 1.0 - max(0.0, best_correlation(a, b))
    flat = min(1.0, float(np.mean(np.abs(a - b))) / _FLAT_SCALE)
    return texture * structural + (1.0 - texture) * flat


def is_scene_change(a: np.ndarray, b: np.ndarray, threshold: float = CUT_THRESHOLD) -> bool:
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
