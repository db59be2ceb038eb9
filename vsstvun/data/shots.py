"""Shot boundaries of a decoded clip, with the same detector and threshold as the filter.

Training windows and evaluation pairs that straddle a cut have no meaningful in-between frame,
so both split clips into shots first. Reusing :mod:`vsstvun.scenechange` keeps "a cut" meaning
the same thing in training, evaluation and the VapourSynth filter.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from .. import scenechange

#: The filter's default ``sc_threshold`` (on :func:`vsstvun.scenechange.difference`, in [0, 1]).
CUT_THRESHOLD = scenechange.CUT_THRESHOLD


def cut_flags(frames: np.ndarray, threshold: float = CUT_THRESHOLD) -> np.ndarray:
    """``flags[i]`` is True when a cut lies between frames ``i`` and ``i + 1`` of ``(T, H, W, 3)`` uint8."""
    thumbs = [scenechange.thumbnail([f[..., c] for c in range(3)]) / 255.0 for f in frames]
    return np.array([scenechange.is_scene_change(a, b, threshold) for a, b in pairwise(thumbs)], bool)


def shot_ids(frames: np.ndarray, threshold: float = CUT_THRESHOLD) -> np.ndarray:
    """Shot number of every frame (0 for the first shot, +1 after each cut)."""
    return np.concatenate([[0], np.cumsum(cut_flags(frames, threshold))]).astype(np.int64)
