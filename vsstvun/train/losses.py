"""The paper's losses: L_S (centre HR), L_F (intermediate HR), L_M (LR frame warped to t).

L1 everywhere as in the paper. A teacher-flow term is optional: on a CPU budget the flow net
learns far faster from a classical estimator's flow than from photometric losses alone. In the
flow-only stage the teacher can also supervise PWC-Net's coarse levels (``pyramid``), as PWC-Net
itself is trained; without it the coarse levels, which carry large motions, hardly learn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..model import STVUN, WindowState
from ..model.ops.warp import warp_to_time
from ..model.stvun import to_model_range


@dataclass(frozen=True)
class LossWeights:
    spatial: float = 1.0
    frame: float = 1.0
    motion: float = 1.0
    teacher: float = 0.0
    #: Teacher flow on PWC-Net's coarse levels (flow-only stage), mean over the levels.
    pyramid: float = 0.0
    #: HR in-between frames as ``temporal="warp"`` makes them from the flows (flow-only stage):
    #: :func:`hr_warp_loss`.
    warp: float = 0.0


def batch_window(lr: torch.Tensor) -> torch.Tensor:
    """The 7-frame model window X0..X6 out of a sample's 8 frames X0..X7."""
    return lr[:, :7]


def _no_flows(lr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero flows for a window of ``lr`` frames, to encode it without running the flow net."""
    zeros = lr.new_zeros(lr.shape[0], 2, *lr.shape[-2:])
    return zeros, zeros


def following_window(model: STVUN, lr: torch.Tensor) -> WindowState:
    """The window X1..X7 of a sample's 8 frames, for its centre frame (X4 upscaled) alone: the
    flow net is not run, since nothing made from this window uses its flows."""
    return model.encode_window(lr[:, 1:8], flows=_no_flows(lr))


def _mean_over_times(
    frame_at: Callable[[torch.Tensor], torch.Tensor],
    ts: torch.Tensor,
    targets: torch.Tensor,
    distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.l1_loss,
) -> torch.Tensor:
    """Mean over a batch's K target times ``ts`` ``(B, K)`` of the ``distance`` (L1 unless given)
    between ``frame_at(t)`` (t shaped ``(B, 1, 1, 1)``) and ``targets[:, i]``: the flow-only
    stage's losses and the fusion head's take this form."""
    k = ts.shape[1]
    return sum(distance(frame_at(ts[:, i].view(-1, 1, 1, 1)), targets[:, i]) for i in range(k)) / k


def _frame_distance(psnr: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """How HR frames are scored: L1 (the paper's) or minus each frame's PSNR."""
    return frame_psnr_loss if psnr else F.l1_loss


def spatial_loss(model: STVUN, lr: torch.Tensor, hr_centre: torch.Tensor, psnr: bool = False) -> torch.Tensor:
    """Stage 1: centre frame only (encoder, EFST, decoder); the flow net is not run."""
    state = model.encode_window(batch_window(lr))
    return _frame_distance(psnr)(model.synthesize(state, 0.0, clamp=False), hr_centre)


def full_loss(
    model: STVUN,
    batch: dict[str, torch.Tensor],
    weights: LossWeights,
    teacher: tuple[torch.Tensor, torch.Tensor] | None = None,
    psnr: bool = False,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Stage 2: L = w_S L_S + w_F L_F + w_M L_M (+ w_T teacher flow), averaged over the K times.

    ``psnr``: L_S and L_F are minus each HR frame's PSNR (:func:`frame_psnr_loss`), the score
    the evaluation reports, instead of L1; L_M, a cue for the flow net, stays L1."""
    distance = _frame_distance(psnr)
    state = model.encode_window(batch_window(batch["lr"]))
    l_s = distance(model.synthesize(state, 0.0, clamp=False), batch["hr_centre"])
    ts, hr_t, lr_t = batch["ts"], batch["hr_t"], batch["lr_t"]
    l_f = l_s.new_zeros(())
    l_m = l_s.new_zeros(())
    k = ts.shape[1]
    for i in range(k):
        t = ts[:, i].view(-1, 1, 1, 1)
        l_f = l_f + distance(model.synthesize(state, t, clamp=False), hr_t[:, i]) / k
        l_m = l_m + F.l1_loss(model.warped_lr(state, t), lr_t[:, i]) / k
    total = weights.spatial * l_s + weights.frame * l_f + weights.motion * l_m
    parts = {"L_S": l_s.item(), "L_F": l_f.item(), "L_M": l_m.item()}
    h, w = state.height, state.width
    return _with_teacher(total, parts, state.f34[..., :h, :w], state.f43[..., :h, :w], weights.teacher, teacher)


def flow_loss(
    model: STVUN,
    batch: dict[str, torch.Tensor],
    weights: LossWeights,
    teacher: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Flow-net-only stage: L_M on the LR frames warped to each target time (+ teacher flow).

    Runs PWC-Net alone (no encoder or decoder), so it affords larger patches, hence larger
    motions, than the joint stage on the same CPU budget.
    """
    lr = batch["lr"]
    flows, coarse = model.flow_pyramid(to_model_range(lr[:, 3]), to_model_range(lr[:, 4]))
    f34, f43 = flows.chunk(2)
    l_m = _mean_over_times(
        lambda t: warp_to_time(lr[:, 3], lr[:, 4], f34, f43, t, model.config.time_blend), batch["ts"], batch["lr_t"]
    )
    total, parts = weights.motion * l_m, {"L_M": l_m.item()}
    if weights.warp > 0:
        l_w = hr_warp_loss(model, batch, f34, f43)
        total = total + weights.warp * l_w
        parts["L_W"] = l_w.item()
    if teacher is not None and weights.pyramid > 0:
        l_p = pyramid_teacher_loss(coarse, torch.cat(teacher))
        total = total + weights.pyramid * l_p
        parts["L_P"] = l_p.item()
    return _with_teacher(total, parts, f34, f43, weights.teacher, teacher)


def hr_warp_loss(model: STVUN, batch: dict[str, torch.Tensor], f34: torch.Tensor, f43: torch.Tensor) -> torch.Tensor:
    """L1 of the HR in-between frames :meth:`~vsstvun.model.STVUN.warp_between` makes with the
    LR flows ``f34``/``f43`` from the (fixed) space-only frames of the windows X0..X6 and X1..X7.

    Why: with ``temporal="warp"`` those frames are the output, so the flow net can be tuned for
    exactly what it is used for, HR warping of the network's own frames, rather than for the LR
    photometric loss or a teacher's flow. The windows are encoded without gradients (and
    without their flow net: the flows come from the caller); gradients reach the flows only.
    """
    lr = batch["lr"]
    with torch.no_grad():
        state = model.encode_window(batch_window(lr), flows=_no_flows(lr))
        following = following_window(model, lr)
    state = model.with_flows(state, f34, f43)
    return _mean_over_times(lambda t: model.warp_between(state, following, t, clamp=False), batch["ts"], batch["hr_t"])


def frame_psnr_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Minus the PSNR (dB, peak 2: the network's [-1, 1] range) of each frame ``(B, C, H, W)``,
    averaged over the batch: the evaluation's score, a mean of per-frame PSNRs.

    Plain squared error over a batch is ruled by its hardest frames (a window of fast motion
    errs ten times more than a still one and weighs a hundred times more), so a head trained on
    it gives up easy frames to soften hard ones; the log of each frame's error weighs every
    frame alike, and within a frame still rewards a soft frame over a sharp one in the wrong place."""
    mse = (pred - target).pow(2).flatten(1).mean(dim=1)
    return (10 * torch.log10(mse.clamp_min(1e-10) / 4)).mean()


def fusion_loss(
    model: STVUN, batch: dict[str, torch.Tensor], psnr: bool = False
) -> tuple[torch.Tensor, dict[str, float]]:
    """Fusion-head stage: L1 (``psnr``: :func:`frame_psnr_loss`) of the HR in-between frames
    ``temporal="fuse"`` makes (:meth:`~vsstvun.model.STVUN.fuse_between`) from the windows X0..X6
    and X1..X7.

    PSNR is what the evaluation scores. Where the motion is uncertain it pays to hedge, a soft
    or blended frame rather than a sharp one in the wrong place, which L1 hardly rewards: a
    misplaced edge and a blurred one cost L1 about the same area.

    Everything but the head is frozen (the caller's job), so the two windows are encoded without
    gradients and the joint and warped frames it merges are exactly the ones it will
    merge at inference; the centre frames cannot change. The window after needs its centre
    frame only, so its flows are not computed.
    """
    lr = batch["lr"]
    with torch.no_grad():
        state = model.encode_window(batch_window(lr))
        following = following_window(model, lr)
        dis = model.pair_flows(state, following)  # once for every target time
    l_f = _mean_over_times(
        lambda t: model.fuse_between(state, following, t, clamp=False, dis=dis),
        batch["ts"],
        batch["hr_t"],
        _frame_distance(psnr),
    )
    return l_f, {"L_F": l_f.item(), "loss": l_f.item()}


def pyramid_teacher_loss(coarse: list[torch.Tensor], teacher: torch.Tensor) -> torch.Tensor:
    """Mean over PWC-Net's coarse levels of the L1 distance (LR pixels) to the teacher flow
    area-averaged to each level's size."""
    return sum(F.l1_loss(c, F.adaptive_avg_pool2d(teacher, c.shape[-2:])) for c in coarse) / len(coarse)


def _with_teacher(
    total: torch.Tensor,
    parts: dict[str, float],
    f34: torch.Tensor,
    f43: torch.Tensor,
    weight: float,
    teacher: tuple[torch.Tensor, torch.Tensor] | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Add the weighted teacher-flow L1 (both directions) when a teacher is given; log the parts."""
    if teacher is not None and weight > 0:
        l_t = F.l1_loss(f34, teacher[0]) + F.l1_loss(f43, teacher[1])
        total = total + weight * l_t
        parts["L_T"] = l_t.item()
    parts["loss"] = total.item()
    return total, parts
