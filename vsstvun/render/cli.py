"""``python -m vsstvun.render SCRIPT.vpy -o OUT``: render a script in chunks on a Ray cluster."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..cli.argtypes import at_least
from .codec import ALIASES
from .driver import RenderJob, render
from .probe import parse_arg
from .tools import RenderError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vsstvun.render",
        description="Render a VapourSynth script's output 0 in chunks (vspipe -s/-e piped into ffmpeg) on "
        "a local or existing Ray cluster, and join the chunks into OUT without re-encoding. Finished chunks "
        "are recorded next to OUT; --resume continues after a crash or Ctrl-C.",
    )
    p.add_argument("script", type=Path, help="the .vpy script (on a cluster: at a path every node can read)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file; its extension picks the container")
    p.add_argument(
        "-a", "--arg", dest="args", type=parse_arg, action="append", default=[], help="script argument, as in vspipe"
    )
    p.add_argument("--workers", type=at_least(1), help="chunks rendered at once (default: one per GPU, else 1)")
    p.add_argument(
        "--chunk", type=at_least(1), default=240, help="frames per chunk before snapping to a cut (default 240)"
    )
    p.add_argument(
        "--codec",
        default="x265",
        help=f"ffmpeg encoder; short names: {', '.join(f'{k}={v}' for k, v in ALIASES.items())} (default x265)",
    )
    p.add_argument(
        "--encoder-args",
        type=shlex.split,
        default=[],
        help='ffmpeg output options for the encoder, e.g. "-crf 18 -preset slow -pix_fmt yuv420p10le"',
    )
    p.add_argument(
        "--cuts-from",
        type=at_least(0),
        metavar="INDEX",
        help="snap chunk borders to the _SceneChangePrev/_SceneChangeNext props of the script's output INDEX, "
        "a cheap clip such as the source after a scene detector (mapped to output 0 by time)",
    )
    p.add_argument("--address", help="join this Ray cluster (host:port or auto) instead of starting a local one")
    p.add_argument(
        "--retries", type=at_least(0), default=3, help="times a chunk whose worker died is retried (default 3)"
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted render: redo only missing chunks")
    p.add_argument("--keep-chunks", action="store_true", help="keep the chunk files and the manifest after joining")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    job = RenderJob(
        script=options.script,
        output=options.output,
        args=dict(options.args),
        workers=options.workers,
        chunk=options.chunk,
        codec=options.codec,
        encoder_args=tuple(options.encoder_args),
        address=options.address,
        resume=options.resume,
        keep_chunks=options.keep_chunks,
        cuts_from=options.cuts_from,
        retries=options.retries,
    )
    try:
        summary = render(job, progress=not options.no_progress)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished chunks are kept in {job.manifest}; rerun with --resume", file=sys.stderr)
        return 130
    print(
        f"{job.output}: {summary.frames} frames in {summary.seconds:.1f} s; {len(summary.rendered)} chunk(s) rendered, "
        f"{len(summary.reused)} reused; {summary.workers}"
    )
    return 0
