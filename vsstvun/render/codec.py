"""Encoder and joiner command lines (pure): every chunk is encoded by ffmpeg into NUT.

Why ffmpeg for every codec, x265 included: the x265 command line writes a raw HEVC stream
without timestamps, and with B-frames such streams cannot be remuxed (``-c copy``) into a
container. ffmpeg's libx265 is the same encoder and stamps every packet. NUT keeps the clip's
exact rational time base (Matroska rounds to milliseconds), and the join gives each chunk its
exact duration, so the joined file's timestamps are ``n / fps`` at every chunk border.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

#: Short names accepted by ``--codec``; anything else is passed to ffmpeg as the encoder name.
ALIASES = {"x265": "libx265", "x264": "libx264", "av1": "libsvtav1"}
#: Containers whose video time scale ffmpeg otherwise picks itself (and coarsely, after a concat).
_TIMESCALE_CONTAINERS = {".mp4", ".m4v", ".mov"}
CHUNK_SUFFIX = ".nut"


def encoder_name(codec: str) -> str:
    return ALIASES.get(codec, codec)


def encode_command(ffmpeg: str, codec: str, encoder_args: Sequence[str], path: Path) -> list[str]:
    """ffmpeg reading vspipe's y4m on stdin and writing one chunk to ``path``."""
    return [
        *_reading(ffmpeg, "yuv4mpegpipe", "-"),
        "-c:v",
        encoder_name(codec),
        *encoder_args,
        "-f",
        "nut",
        "-y",
        str(path),
    ]


def concat_list(chunks: Sequence[tuple[Path, int]], fps: Fraction) -> str:
    """An ffconcat list of ``(file, frames)`` with each chunk's exact duration.

    Without ``duration`` the concat demuxer guesses each file's length from its last packet and
    leaves gaps at the borders when B-frames reorder the tail.
    """
    lines = ["ffconcat version 1.0"]
    for path, frames in chunks:
        quoted = str(path.resolve()).replace("'", "'\\''")
        lines += [f"file '{quoted}'", f"duration {_seconds(frames / fps)}"]
    return "\n".join(lines) + "\n"


def join_command(ffmpeg: str, concat: Path, output: Path, fps: Fraction) -> list[str]:
    """ffmpeg concatenating the chunks listed in ``concat`` into ``output`` without re-encoding."""
    timescale = ["-video_track_timescale", str(fps.numerator)] if output.suffix.lower() in _TIMESCALE_CONTAINERS else []
    return [*_reading(ffmpeg, "concat", str(concat), "-safe", "0"), "-c", "copy", *timescale, "-y", str(output)]


def _reading(ffmpeg: str, input_format: str, source: str, *input_options: str) -> list[str]:
    """ffmpeg, quiet but for errors, taking the video of ``source`` (``-nostdin``: no keyboard commands)."""
    quiet = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
    return [*quiet, "-f", input_format, *input_options, "-i", source, "-map", "0:v"]


def _seconds(value: Fraction) -> str:
    """Seconds to the microsecond, ffmpeg's internal time unit."""
    micro = round(value * 1_000_000)
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"
