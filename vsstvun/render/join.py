"""Joining the chunks into the output: ffmpeg's concat demuxer, stream copy, exact timestamps."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from .codec import concat_list, join_command
from .tools import RenderError, find_tool, packet_count, tail


def join_chunks(chunks: Sequence[tuple[Path, int]], output: Path, fps: Fraction, folder: Path) -> None:
    """Concatenate ``(file, frames)`` into ``output``; the list file goes to ``folder``.

    Written under a temporary name and checked for the total frame count before it replaces
    ``output``, so a failed join never leaves a short file that looks finished.
    """
    listing = folder / "join.ffconcat"
    listing.write_text(concat_list(chunks, fps))
    partial = output.with_name(f"{output.stem}.part{output.suffix}")
    done = subprocess.run(join_command(find_tool("ffmpeg"), listing, partial, fps), capture_output=True, text=True)
    if done.returncode != 0:
        raise RenderError(f"joining the chunks into {output} failed:\n{tail(done.stderr)}")
    expected = sum(frames for _, frames in chunks)
    found = packet_count(partial)
    if found != expected:
        raise RenderError(f"the joined file {partial} holds {found} frames, expected {expected}")
    os.replace(partial, output)
