"""External programs (vspipe, ffmpeg, ffprobe): locating them and reading their results.

Shared by the driver and the workers; nothing here imports Ray, so it runs in either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: What to tell a user who lacks a program.
_INSTALL = {
    "vspipe": "install VapourSynth into this Python (pip install vapoursynth) or put vspipe on PATH",
    "ffmpeg": "install ffmpeg (apt-get install ffmpeg)",
    "ffprobe": "install ffmpeg, which provides ffprobe (apt-get install ffmpeg)",
}


class RenderError(Exception):
    """A failure the user can act on; its message says what failed and what to do."""


def find_tool(name: str) -> str:
    """Path of program ``name``: on PATH or beside this Python (a venv's vspipe is not on PATH
    unless the venv is activated, and Ray workers never activate it)."""
    path = shutil.which(name, path=f"{os.environ.get('PATH', '')}{os.pathsep}{Path(sys.executable).parent}")
    if path is None:
        raise RenderError(f"{name} not found on {os.uname().nodename}: {_INSTALL.get(name, f'install {name}')}")
    return path


def arg_flags(args: Mapping[str, str]) -> list[str]:
    """vspipe's ``-a key=value`` flags for the script's arguments."""
    return [flag for key, value in args.items() for flag in ("-a", f"{key}={value}")]


def tail(text: str, lines: int = 30) -> str:
    """The last ``lines`` lines of a program's stderr: where the actual error is."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def packet_count(path: Path) -> int:
    """Video packets (= frames, for the codecs this tool writes) in ``path``, read without decoding.

    A file cut short loses its last packets, so this catches truncated chunks cheaply; 0 for a
    file ffprobe cannot read at all.
    """
    probe = subprocess.run(
        [
            find_tool("ffprobe"),
            "-v",
            "error",
            "-count_packets",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    fields = probe.stdout.split()
    return int(fields[0]) if probe.returncode == 0 and fields and fields[0].isdigit() else 0
