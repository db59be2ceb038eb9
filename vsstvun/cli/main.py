"""``python -m vsstvun``: inspect the installation and convert or check weights files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vsstvun",
        description="STVUN space-time video upsampling for VapourSynth: installation report and weights tools.",
        epilog="The filter itself is vsstvun.stvun(clip, ...) in a VapourSynth script; training, evaluation "
        "and benchmarks are python -m vsstvun.train / .eval / .bench (train extra).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "info",
        help="versions, CUDA devices, warp backend, packaged weights, vspipe's config (paste into bug reports)",
    )
    conv = sub.add_parser("convert", help="the authors' STVUN.pth (or any weights file) to vsstvun safetensors")
    conv.add_argument("source", type=Path, help="e.g. STVUN.pth from the authors' release")
    conv.add_argument("target", type=Path, help="output .safetensors")
    precision = conv.add_mutually_exclusive_group()
    precision.add_argument("--fp16", dest="half", action="store_true", help="store fp16 (half the size)")
    precision.add_argument("--fp32", dest="half", action="store_false", help="store fp32, lossless (default)")
    conv.add_argument(
        "--flow-refine",
        type=int,
        default=None,
        metavar="BOX",
        help="store this photometric flow clean-up window (odd LR pixels, 0 = off) in the file's config; "
        "no weight depends on it (default: keep the source's)",
    )
    conv.add_argument(
        "--shared-flow",
        default=None,
        metavar="NAME",
        help="keep the flow net in the file NAME beside the target, shared with other weights of the same "
        "flow net (how the packaged variants ship); written if missing, else it must hold the same flow net",
    )
    ver = sub.add_parser("verify", help="check that a weights file loads; print its preset, scale, parameters")
    ver.add_argument("path", type=Path)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "info":
        from .info import main as info

        return info()
    from .convert import run_convert, run_verify

    if args.command == "convert":
        return run_convert(args.source, args.target, args.half, args.flow_refine, args.shared_flow)
    return run_verify(args.path)
