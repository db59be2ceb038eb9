"""``python -m vsstvun.train``: train STVUN on local media (defaults: the offline sample media).

Example (the shipped lite x4 weights)::

    python -m vsstvun.train --out runs/lite_x4 --preset lite --scale 4 \
        --stage1-iters 300 --stage2-iters 3000 --batch-size 8 --max-minutes 90

Sources default to the offline training clips (minus their held-out tails), synthetic scenes from
the installed still photos and cartoon scenes from the installed clip art
(:func:`vsstvun.data.sources.default_training_sources`); pass ``--source`` (repeatable) for your
own videos, frame folders or photo folders, or ``cel:FOLDER`` for clip art. Re-running with the
same ``--out`` resumes from ``last.pt``.
"""

from __future__ import annotations

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.train")

import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset

from ..cli.argtypes import at_least
from ..data.codec import RealSources
from ..data.dataset import SampleConfig, build_training_set, one_thread_worker
from ..data.sources import BBB_HOLD_OUT, default_training_sources
from ..data.synthetic import MotionRange
from ..model.config import FLOW_UPSAMPLES
from .loop import TrainConfig, saved_step, train
from .losses import LossWeights
from .validate import ValidationSet


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m vsstvun.train", description="Two-stage STVUN training.")
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, log, exported weights)")
    p.add_argument(
        "--source",
        action="append",
        default=None,
        help="video file, frame folder or photo folder/file (repeatable); default: offline sample media",
    )
    p.add_argument(
        "--hold-out", type=at_least(0), default=BBB_HOLD_OUT, help="final frames of each clip kept for evaluation"
    )
    p.add_argument("--preset", default="lite")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--patch", type=at_least(16), default=128, help="HR patch side")
    p.add_argument("--targets", type=at_least(1), default=1, help="intermediate targets per sample")
    p.add_argument("--synthetic-fraction", type=float, default=0.5)
    p.add_argument("--cel-fraction", type=float, default=0.25, help="share of cartoon scenes (with a cel: source)")
    p.add_argument("--stage1-iters", type=at_least(0), default=300)
    p.add_argument("--stage2-iters", type=at_least(0), default=3000)
    p.add_argument("--batch-size", type=at_least(1), default=8)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--min-lr", type=float, default=TrainConfig.min_lr, help="stage 2's cosine ends here (<= --lr)")
    p.add_argument("--w-spatial", type=float, default=1.0)
    p.add_argument("--w-frame", type=float, default=1.0)
    p.add_argument("--w-motion", type=float, default=1.0)
    p.add_argument("--w-teacher", type=float, default=0.05, help="DIS teacher-flow weight (0 = off)")
    p.add_argument(
        "--w-pyramid",
        type=float,
        default=0.0,
        help="teacher flow on PWC-Net's coarse levels (flow-only stage; 0 = off)",
    )
    p.add_argument(
        "--w-warp",
        type=float,
        default=0.0,
        help="flow-only stage: L1 of the HR in-between frames temporal='warp' makes with the flows (0 = off)",
    )
    p.add_argument(
        "--strides",
        type=at_least(2),
        nargs="+",
        default=list(SampleConfig.strides),
        help="video frame steps between inputs (larger: faster motion)",
    )
    p.add_argument(
        "--cel-strides",
        type=int,
        nargs="+",
        default=list(SampleConfig.cel_strides),
        help="animation frames between the inputs of cel scenes (2: a cartoon at half its rate, so a"
        " held drawing's in-between frame may show either side's drawing)",
    )
    p.add_argument(
        "--motion-scale",
        type=float,
        default=1.0,
        help="multiply the synthetic scenes' camera and sprite speeds and accelerations",
    )
    p.add_argument(
        "--min-sprites",
        type=int,
        default=MotionRange().sprites[0],
        help="fewest foreground layers of a synthetic scene (default 1); 0 makes some scenes a pure camera move",
    )
    p.add_argument(
        "--real",
        type=float,
        default=0.0,
        help="share of samples degraded like real sources (blur jitter, noise, x264/x265/MPEG-2 round trip; 0 = off)",
    )
    p.add_argument("--crf", type=float, nargs=2, default=list(RealSources.crf), help="x264/x265 CRF range for --real")
    p.add_argument(
        "--codecs",
        nargs="*",
        default=list(RealSources.codecs),
        help="codecs for --real (none: blur jitter and noise only; PyAV runs them, no ffmpeg needed)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast")
    p.add_argument("--threads", type=at_least(0), default=0, help="torch CPU threads (0 = torch default)")
    p.add_argument("--workers", type=at_least(0), default=0, help="DataLoader worker processes")
    p.add_argument("--max-minutes", type=float, default=0.0, help="stop and save after this long (0 = no limit)")
    p.add_argument(
        "--lr-over-minutes",
        action="store_true",
        help="decay the learning rate over --max-minutes when that ends before the iterations (a fixed GPU slot)",
    )
    p.add_argument("--save-every", type=at_least(1), default=100)
    p.add_argument(
        "--val",
        type=at_least(0),
        default=16,
        help="validation windows (same sources and mix, own random stream), scored at each save (0 = off)",
    )
    p.add_argument(
        "--flow-only",
        action="store_true",
        help="train only the flow net on L_M + teacher flow (use with --init and --stage1-iters 0)",
    )
    p.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from these weights (same-shaped tensors only), e.g. x4 weights for an x2 run",
    )
    p.add_argument(
        "--init-flow",
        type=Path,
        default=None,
        help="take the flow net from these weights (after --init), e.g. an x4-trained flow net for x2",
    )
    p.add_argument("--reset-flow", action="store_true", help="start the flow net from scratch (after --init)")
    p.add_argument(
        "--flow-upsample",
        type=int,
        default=None,
        choices=FLOW_UPSAMPLES,
        help="run the flow net on LR frames upsampled by this (default: the preset's)",
    )
    p.add_argument(
        "--align-centre",
        action="store_true",
        default=None,
        help="warp the centre pass's decoded features to each in-between time (ModelConfig.align_centre)",
    )
    p.add_argument(
        "--flow-refine",
        type=int,
        default=None,
        metavar="BOX",
        help="flow clean-up window the network trains and exports with (ModelConfig.flow_refine; 0 = off)",
    )
    p.add_argument(
        "--fusion-ch",
        type=int,
        default=None,
        help="give the network a fusion head of this width (ModelConfig.fusion_ch, temporal='fuse')",
    )
    p.add_argument(
        "--fusion-dis",
        action="store_true",
        default=None,
        help="give the fusion head the sequential pipeline's frame (DIS flow between the centre frames) too",
    )
    p.add_argument(
        "--fusion-split",
        action="store_true",
        default=None,
        help="give the fusion head each warped pair as its two sides (X3's and X4's frame at t), not their blend",
    )
    p.add_argument(
        "--fusion-consistency",
        action="store_true",
        default=None,
        help="show the fusion head where the DIS flows check out both ways (needs --fusion-dis)",
    )
    p.add_argument(
        "--fusion-base",
        action="store_true",
        default=None,
        help="give the fusion head the bilinear bases of X3 and X4 warped with DIS flow, to soften"
        " uncertain motion with (needs --fusion-dis)",
    )
    p.add_argument(
        "--fusion-splat",
        action="store_true",
        default=None,
        help="give the fusion head the centre frames forward-splatted to t along the DIS flows (needs --fusion-dis)",
    )
    p.add_argument(
        "--fusion-still",
        action="store_true",
        default=None,
        help="give the fusion head the centre frames of X3 and X4 unwarped, for drawings held on twos and threes",
    )
    p.add_argument(
        "--fusion-only",
        action="store_true",
        help="train only the fusion head on the fused in-between frames "
        "(use with --init, --fusion-ch, --stage1-iters 0)",
    )
    p.add_argument(
        "--psnr",
        "--fusion-psnr",
        dest="psnr",
        action="store_true",
        help="score the HR frames (centre and in-between, or the fused ones with --fusion-only) by "
        "minus each frame's PSNR, what the evaluation scores, instead of L1 (--fusion-psnr: the old name)",
    )
    p.add_argument(
        "--fusion-extra-lr-scale",
        type=float,
        default=1.0,
        help="with --fusion-only: the late candidates' convs' (--fusion-base, --fusion-splat, --fusion-still)"
        " learning rate"
        " as a share of --lr",
    )
    p.add_argument(
        "--freeze-flow",
        action="store_true",
        help="train everything but the flow net, so the decoder adapts to a retrained one (use with --init)",
    )
    p.add_argument(
        "--flow-lr-scale",
        type=float,
        default=1.0,
        help="the flow net's learning rate as a share of --lr when it trains with the rest (e.g. 0.1)",
    )
    a = p.parse_args()
    for problem in _conflicts(a):
        p.error(problem)
    return a


def _conflicts(a: argparse.Namespace) -> list[str]:
    """Option values that would crash hours in, or train something other than asked, silently."""
    problems = []
    if a.stage1_iters + a.stage2_iters < 1:
        problems.append("--stage1-iters plus --stage2-iters must be at least 1")
    if not 0 <= a.min_lr <= a.lr or a.lr <= 0:
        problems.append(f"--lr must be > 0 and --min-lr in [0, --lr], got {a.lr:g} and {a.min_lr:g}")
    if a.max_minutes < 0 or (a.lr_over_minutes and a.max_minutes <= 0):
        problems.append("--max-minutes must be >= 0, and > 0 with --lr-over-minutes (the cosine runs over it)")
    if not 0 <= a.crf[0] <= a.crf[1] <= 51:
        problems.append(f"--crf takes LOW HIGH within [0, 51], got {a.crf[0]:g} {a.crf[1]:g}")
    if a.flow_only and a.stage1_iters:
        problems.append("--flow-only trains no stage 1 (stage 1 is the spatial loss alone): add --stage1-iters 0")
    if a.reset_flow and (a.freeze_flow or a.fusion_only or a.init_flow):
        problems.append(
            "--reset-flow starts the flow net from scratch: not with --freeze-flow, --fusion-only or --init-flow"
        )
    if a.w_pyramid and not (a.flow_only and a.w_teacher > 0):
        problems.append(
            "--w-pyramid weighs the teacher flow on the coarse levels: it needs --flow-only and --w-teacher > 0"
        )
    if a.flow_lr_scale != 1.0 and a.fusion_only:
        problems.append("--flow-lr-scale with --fusion-only: the flow net does not train there")
    return problems


def main() -> None:
    a = _args()
    try:
        _run(a)
    except (ValueError, OSError) as exc:  # a bad file, source or combination found while setting up
        raise SystemExit(f"python -m vsstvun.train: error: {exc}") from None


def _run(a: argparse.Namespace) -> None:
    if a.threads:
        torch.set_num_threads(a.threads)
    sources = a.source or default_training_sources()
    sample_cfg = SampleConfig(
        scale=a.scale,
        patch=a.patch,
        num_targets=a.targets,
        strides=tuple(a.strides),
        cel_strides=tuple(a.cel_strides),
        motion=MotionRange().faster(a.motion_scale).fewest_sprites(a.min_sprites),
        real=RealSources(clean=1 - a.real, crf=tuple(a.crf), codecs=tuple(a.codecs)) if a.real else None,
    )
    total = a.stage1_iters + a.stage2_iters
    dataset = build_training_set(
        sources,
        sample_cfg,
        length=total * a.batch_size,
        seed=a.seed,
        hold_out=a.hold_out,
        synthetic_fraction=a.synthetic_fraction,
        cel_fraction=a.cel_fraction,
    )
    # A resumed run goes on with the windows that were next, not the first ones again.
    done = saved_step(a.out) * a.batch_size
    loader = DataLoader(
        Subset(dataset, range(done, len(dataset))),
        batch_size=a.batch_size,
        shuffle=False,
        num_workers=a.workers,
        drop_last=True,
        persistent_workers=a.workers > 0,
        worker_init_fn=one_thread_worker,
        # Forked workers hang on their first window (with or without codecs and validation): they
        # inherit this process's thread pools mid-state once it has loaded the weights and data.
        multiprocessing_context="spawn" if a.workers else None,
    )
    val = None
    if a.val:
        # Built once, in this process: workers would start for a batch or two.
        val_loader = DataLoader(dataset.validation_split(a.val), batch_size=a.batch_size)
        val = ValidationSet.build(val_loader, a.scale)
    cfg = TrainConfig(
        out_dir=a.out,
        preset=a.preset,
        scale=a.scale,
        stage1_iters=a.stage1_iters,
        stage2_iters=a.stage2_iters,
        batch_size=a.batch_size,
        lr=a.lr,
        min_lr=a.min_lr,
        seed=a.seed,
        device=a.device,
        amp=a.amp,
        weights=LossWeights(a.w_spatial, a.w_frame, a.w_motion, a.w_teacher, a.w_pyramid, a.w_warp),
        save_every=a.save_every,
        max_minutes=a.max_minutes,
        lr_over_minutes=a.lr_over_minutes,
        init=a.init,
        flow_only=a.flow_only,
        init_flow=a.init_flow,
        reset_flow=a.reset_flow,
        freeze_flow=a.freeze_flow,
        flow_lr_scale=a.flow_lr_scale,
        flow_upsample=a.flow_upsample,
        align_centre=a.align_centre,
        flow_refine=a.flow_refine,
        fusion_ch=a.fusion_ch,
        fusion_dis=a.fusion_dis,
        fusion_split=a.fusion_split,
        fusion_consistency=a.fusion_consistency,
        fusion_base=a.fusion_base,
        fusion_splat=a.fusion_splat,
        fusion_still=a.fusion_still,
        fusion_only=a.fusion_only,
        psnr=a.psnr,
        fusion_extra_lr_scale=a.fusion_extra_lr_scale,
        data={
            "sources": [str(p) for p in sources],
            "patch": a.patch,
            "targets": a.targets,
            "strides": a.strides,
            "cel_strides": a.cel_strides,
            "motion_scale": a.motion_scale,
            "min_sprites": a.min_sprites,
            "synthetic_fraction": a.synthetic_fraction,
            "cel_fraction": a.cel_fraction,
            "hold_out": a.hold_out,
            "real": a.real,
            "crf": a.crf,
            "codecs": a.codecs,
            "val": a.val,
        },
    )
    print(f"training {a.preset} x{a.scale} on {len(sources)} sources -> {train(cfg, loader, val)}")


if __name__ == "__main__":
    main()
