"""The near-identical test for held drawings, as a VapourSynth graph (one frame prop per frame).

A drawing held on twos or threes comes back from the encoder as copies that differ by codec
noise; a distinct drawing differs somewhere by a moved line. The metric is therefore the
*largest* difference of slightly blurred luma between a frame and the previous one: the blur
averages the noise away, and the maximum (not the mean) keeps a small moving part, a mouth or an
eye on a still face, from passing as a copy. Errors then fall on the safe side: a noisy copy taken
for a new drawing only costs the dedup of that pair, while a moved part taken for a copy would
drop a drawing. ``scripts/dedup_threshold.py`` measures it on x264-encoded clips.

Computed in VapourSynth's own filters, once per source frame and in parallel, so the Python
callback only reads a prop.
"""

from __future__ import annotations

import vapoursynth as vs

#: Frame prop: the metric between this frame and the previous one (0 on the first frame).
PROP = "STVUN_DedupMax"
#: Default ``dedup_threshold``: between the largest held-pair value and the smallest distinct-pair
#: value measured by ``scripts/dedup_threshold.py`` (README, "Anime: held drawings").
DEFAULT_THRESHOLD = 0.08
#: Box-blur radius in pixels (a 5x5 box) before the difference.
BLUR_RADIUS = 2
#: BT.709 luma weights.
_LUMA = "x 0.2126 * y 0.7152 * + z 0.0722 * +"


def with_difference(clip: vs.VideoNode) -> vs.VideoNode:
    """``clip`` with :data:`PROP` on every frame: ``max |blur(Y_i) - blur(Y_{i-1})|``, luma in [0, 1]."""
    core = vs.core
    rgb = [core.std.ShufflePlanes(clip, plane, vs.GRAY) for plane in range(3)]
    luma = core.std.Expr(rgb, _LUMA, format=vs.GRAYS)
    blurred = core.std.BoxBlur(luma, hradius=BLUR_RADIUS, vradius=BLUR_RADIUS)
    # frame 0 compares with itself (0); a still has no earlier frame to shift in
    previous = blurred if clip.num_frames == 1 else blurred[0] + blurred[:-1]
    difference = core.std.Expr([blurred, previous], "x y - abs")
    stats = core.std.PlaneStats(difference, prop="STVUN_Dedup")  # sets STVUN_DedupMax, among others
    return core.std.CopyFrameProps(clip, stats, props=[PROP])
