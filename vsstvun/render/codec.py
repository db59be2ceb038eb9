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


def trial_command(ffmpeg: str, codec: str, encoder_args: Sequence[str], path: Path) -> list[str]:
    """ffmpeg encoding one small test frame as the chunks will be and writing it as the output
    will be written (container from ``path``'s extension): the pair is checked in a second,
    not after every chunk has rendered."""
    reading = _reading(ffmpeg, "lavfi", "testsrc=size=64x64:rate=1")
    return [*reading, "-frames:v", "1", "-c:v", encoder_name(codec), *encoder_args, "-y", str(path)]


def concat_list(chunks: Sequence[tuple[Path, int]], fps: Fraction) -> str:
    """An ffconcat list of ``(file, frames)`` with each chunk's exact duration.

    Without ``duration`` the concat demuxer guesses each file's length from its last packet and
    leaves gaps at the borders when B-frames reorder the tail. Each duration is the difference of
    the chunk's border times rounded to the microsecond, not its own length rounded: those
    rounding errors would add up along the concat, one tick off ``n / fps`` after a few dozen
    chunks.
    """
    lines = ["ffconcat version 1.0"]
    start = 0
    for path, frames in chunks:
        quoted = str(path.resolve()).replace("'", "'\\''")
        micro = _microseconds((start + frames) / fps) - _microseconds(start / fps)
        lines += [f"file '{quoted}'", f"duration {micro // 1_000_000}.{micro % 1_000_000:06d}"]
        start += frames
    return "\n".join(lines) + "\n"


def join_command(ffmpeg: str, concat: Path, output: Path, fps: Fraction) -> list[str]:
    """ffmpeg concatenating the chunks listed in ``concat`` into ``output`` without re-encoding."""
    timescale = ["-video_track_timescale", str(fps.numerator)] if output.suffix.lower() in _TIMESCALE_CONTAINERS else []
    return [*_reading(ffmpeg, "concat", str(concat), "-safe", "0"), "-c", "copy", *timescale, "-y", str(output)]


def _reading(ffmpeg: str, input_format: str, source: str, *input_options: str) -> list[str]:
    """ffmpeg, quiet but for errors, taking the video of ``source`` (``-nostdin``: no keyboard commands)."""
    quiet = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
    return [*quiet, "-f", input_format, *input_options, "-i", source, "-map", "0:v"]


def _microseconds(seconds: Fraction) -> int:
    """``seconds`` in ffmpeg's internal time unit."""
    return round(seconds * 1_000_000)
