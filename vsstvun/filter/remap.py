"""Source clips remapped to output indexing, so that ``std.ModifyFrame`` fetches the frames.

Frame ``n`` of the ``k``-th remapped clip is source frame ``X3(n) + k`` (clamped to the clip,
i.e. edge-replicated). VapourSynth then fetches every source frame an output needs itself, in
parallel, and the filter's callback only runs the model. Building stays O(1) in the clip length
and fast for any rate factor:

* small periods (``24000/1001 -> 60000/1001`` has 5 outputs per 2 sources) use one
  ``std.SelectEvery`` over the shifted source: no Python on the frame path;
* factors with a big numerator (``2997/125 -> 60000/1001`` is ``2500000/999999``) would need
  millions of SelectEvery offsets, whose build time grows roughly with their square, so they
  use ``std.FrameEval`` with the index computed per frame (a fraction of a millisecond each).
"""

from __future__ import annotations

import vapoursynth as vs

from .timing import Timing

#: Largest SelectEvery period (offsets per cycle) used; 512 offsets build in about 5 ms.
SELECT_EVERY_MAX_OFFSETS = 512


def source_clip(clip: vs.VideoNode, timing: Timing, k: int) -> vs.VideoNode:
    """``clip`` remapped so that its frame ``n`` is source frame ``clamp(X3(n) + k)``."""
    if timing.period[0] <= SELECT_EVERY_MAX_OFFSETS:
        cycle, offsets = timing.selection()
        return vs.core.std.SelectEvery(_shift(clip, k), cycle, offsets, modify_duration=False)
    last = clip.num_frames - 1

    def pick(n: int) -> vs.VideoNode:
        # FrameEval returns frame n of the clip given back: loop the one wanted frame that far.
        return clip[min(max(timing.position(n).source + k, 0), last)] * (n + 1)

    return vs.core.std.FrameEval(vs.core.std.BlankClip(clip, length=timing.length, keep=True), pick)


def _shift(clip: vs.VideoNode, k: int) -> vs.VideoNode:
    """``clip`` with frame ``i`` replaced by frame ``clamp(i + k)``: edge-replicated shift."""
    n = clip.num_frames
    if k > 0:
        return clip[-1] * n if k >= n else clip[k:] + clip[-1] * k
    if k < 0:
        return clip[0] * n if -k >= n else clip[0] * -k + clip[: n + k]
    return clip
