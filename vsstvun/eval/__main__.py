"""``python -m vsstvun.eval --video PATH --out DIR``: score STVUN and baselines on a clip.

One run scores every ``--degrade`` preset on the same frames (one model load, one decode) and
writes each to ``DIR/<preset>/`` (``x264:28`` -> ``x264-28``): eval.json, eval.md, eval.png and
the side-by-side crops crop_centre.png / crop_intermediate.png.
"""

from __future__ import annotations

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.eval")

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from ..cli.argtypes import at_least
from ..data.codec import Degradation, parse_degradation
from ..data.shots import CUT_THRESHOLD
from ..data.video import read_video
from ..model.config import FLOW_UPSAMPLES, TEMPORAL_MODES
from ..model.precision import PRECISIONS
from ..weights import PACKAGED
from .protocol import evaluate
from .report import write_report


def parse_degradations(specs: list[str] | None) -> list[Degradation]:
    """``--degrade`` values (each may be a comma list) in order, duplicates dropped; default clean."""
    parsed = [parse_degradation(spec) for value in specs or ["clean"] for spec in value.split(",") if spec.strip()]
    return list(dict.fromkeys(parsed))


def folder_name(d: Degradation) -> str:
    """``x264:28`` -> ``x264-28``: a degradation's output folder."""
    return str(d).replace(":", "-")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m vsstvun.eval", description=__doc__)
    p.add_argument("--video", required=True, type=Path, help="video file or folder of frames (the HR ground truth)")
    p.add_argument("--name", default=None, help="clip name in titles (default: the video's file name)")
    p.add_argument("--start", type=at_least(0), default=0, help="first frame")
    p.add_argument("--frames", type=at_least(1), default=None, help="number of frames (default: to the end)")
    p.add_argument(
        "--model", default="lite", help=f"packaged weights ({', '.join(PACKAGED)}) or 'none' for baselines only"
    )
    p.add_argument("--model-path", type=Path, default=None, help="weights (default: the preset's shipped weights)")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--time-factor", type=at_least(1), default=2, help="2: Tin = 0.5; 4: Tin = 0.25, 0.5, 0.75")
    p.add_argument("--crop", type=at_least(0), default=0, help="pixels shaved off every border before scoring")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISIONS,
        help="format of the encoder, EFST and decoder (flow and warps stay fp32); default fp32, the reference",
    )
    p.add_argument(
        "--flow-upsample",
        type=int,
        default=None,
        choices=FLOW_UPSAMPLES,
        help="run the flow net on LR frames upsampled by this instead of the weights' own setting "
        "(an ablation; no tensor shape depends on it)",
    )
    p.add_argument(
        "--flow-refine",
        type=int,
        default=None,
        metavar="BOX",
        help="photometric flow clean-up window (odd LR pixels, 0 = off) instead of the weights' own setting",
    )
    p.add_argument(
        "--temporal",
        default="joint",
        choices=TEMPORAL_MODES,
        help="the model's in-between frames: a decoder pass each (joint, the paper's), its two "
        "neighbouring centre frames warped and blended (warp, the filter's fast mode), or both merged "
        "by the weights' fusion head (fuse)",
    )
    p.add_argument("--no-cuts", action="store_true", help="treat the clip as one shot (no scene-cut detection)")
    p.add_argument(
        "--degrade",
        action="append",
        metavar="SPEC",
        help="LR degradation after blur + decimation, repeatable or a comma list: clean (default), "
        "x264:CRF, x265:CRF, mpeg2:KBPS, noise:SIGMA",
    )
    p.add_argument("--out", required=True, type=Path, help="folder with one subfolder per degradation")
    p.add_argument(
        "--tables-only",
        action="store_true",
        help="write eval.json and eval.md alone, no plot and no crops (for training exports being compared)",
    )
    args = p.parse_args(argv)
    try:
        args.degrade = parse_degradations(args.degrade)
    except ValueError as exc:
        p.error(f"--degrade: {exc}")
    try:
        device = torch.device(args.device)
    except RuntimeError as exc:
        p.error(f"--device: {exc}")
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error(f"--device {args.device}: torch sees no CUDA device (use --device cpu)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        evaluate_all(args)
    except (OSError, ValueError) as exc:  # a missing clip, frames out of range, weights that do not fit
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def evaluate_all(args: argparse.Namespace) -> None:
    """Score the clip under every ``--degrade`` and write one report folder for each."""
    model = None
    if args.model != "none":
        from ..weights import load_model

        model = load_model(args.model, args.scale, args.model_path, args.device, args.precision, args.flow_refine)
        if args.temporal == "fuse" and model.fusion is None:
            raise ValueError("--temporal fuse needs weights with a fusion head (e.g. --model lite-real)")
        if args.flow_upsample is not None:
            model.config = dataclasses.replace(model.config, flow_upsample=args.flow_upsample)
    frames = read_video(args.video, start=args.start, max_frames=args.frames)
    for degradation in args.degrade:
        result = evaluate(
            model,
            frames,
            args.scale,
            args.time_factor,
            args.crop,
            device=args.device,
            cut_threshold=None if args.no_cuts else CUT_THRESHOLD,
            progress=True,
            degradation=degradation,
            showcase=not args.tables_only,
            temporal=args.temporal,
            model_name=f"stvun-{args.model}",
        )
        result["config"] |= {
            "clip": args.name or args.video.stem,
            "video": str(args.video),
            "start": args.start,
            "model": args.model,
            "model_path": str(args.model_path) if args.model_path else None,
            "flow_upsample": model.config.flow_upsample if model else None,
            "flow_refine": model.config.flow_refine if model else None,
            "precision": str(model.compute_dtype).removeprefix("torch.") if model else None,
        }
        print(write_report(result, args.out / folder_name(degradation), pictures=not args.tables_only))


if __name__ == "__main__":
    sys.exit(main())
