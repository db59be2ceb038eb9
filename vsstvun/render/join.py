"""Joining the chunks into the output: ffmpeg's concat demuxer, stream copy, exact timestamps."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from .codec import concat_list, join_command, trial_command
from .tools import RenderError, find_tool, packet_count, tail


def check_output(output: Path, codec: str, encoder_args: Sequence[str]) -> None:
    """Raise :class:`RenderError` if ``output``'s container cannot hold ``codec``'s stream (or
    has no container ffmpeg knows), before anything renders. An encoder missing here is left to
    the workers to report: on a cluster this machine only joins."""
    trial = output.with_name(f"{output.stem}.check{output.suffix}")
    try:
        done = subprocess.run(
            trial_command(find_tool("ffmpeg"), codec, encoder_args, trial), capture_output=True, text=True
        )
    finally:
        trial.unlink(missing_ok=True)
    if done.returncode != 0 and "Unknown encoder" not in done.stderr:
        raise RenderError(
            f"ffmpeg cannot write --codec {codec} into {output.name} (its extension picks the container; .mkv "
            f"takes any codec):\n{tail(done.stderr, 5)}"
        )


def join_chunks(chunks: Sequence[tuple[Path, int]], output: Path, fps: Fraction, folder: Path) -> None:
    """Concatenate ``(file, frames)`` into ``output``; the list file goes to ``folder``.

    Written under a temporary name and checked for the total frame count before it replaces
    ``output``, so a failed join never leaves a short file that looks finished.
    """
    listing = folder / "join.ffconcat"
    listing.write_text(concat_list(chunks, fps))
    partial = output.with_name(f"{output.stem}.part{output.suffix}")
    try:
        done = subprocess.run(join_command(find_tool("ffmpeg"), listing, partial, fps), capture_output=True, text=True)
        if done.returncode != 0:
            raise RenderError(f"joining the chunks into {output} failed:\n{tail(done.stderr)}")
        expected = sum(frames for _, frames in chunks)
        found = packet_count(partial)
        if found != expected:
            raise RenderError(f"joining the chunks into {output} gave {found} frames, expected {expected}")
    except BaseException:
        partial.unlink(missing_ok=True)  # the chunks stay for --resume; a half-joined file is of no use
        raise
    os.replace(partial, output)
