"""One chunk on one worker: ``vspipe -s/-e`` piped into the encoder, then verified.

The chunk is written under a temporary name and renamed only once its frame count is right, so
a file with the final name is always complete; the driver records it in the manifest only after
this returns. Nothing here imports Ray: the driver wraps :func:`render_chunk` as a Ray task.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .codec import encode_command
from .plan import Chunk
from .tools import RenderError, arg_flags, find_tool, packet_count, tail


class ChunkError(RenderError):
    """A chunk failed for a reason retrying will not fix (the script, the encoder, its options)."""


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs: the job is re-evaluated from the script on every worker."""

    script: Path
    args: tuple[tuple[str, str], ...]
    chunk: Chunk
    path: Path
    codec: str
    encoder_args: tuple[str, ...] = ()
    #: Extra environment for vspipe (e.g. ``OMP_NUM_THREADS`` for CPU workers).
    env: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class ChunkResult:
    index: int
    frames: int
    bytes: int
    seconds: float
    node: str


def render_chunk(task: ChunkTask) -> ChunkResult:
    """Render ``task.chunk`` of the script into ``task.path``; raises :class:`ChunkError`."""
    started = time.monotonic()
    node = socket.gethostname()
    chunk = task.chunk
    try:
        vspipe, ffmpeg = find_tool("vspipe"), find_tool("ffmpeg")
    except RenderError as exc:
        raise ChunkError(f"{chunk.describe()}: {exc}") from None
    part = task.path.with_name(f"{task.path.stem}.part{task.path.suffix}")
    source = [vspipe, "-c", "y4m", "-s", str(chunk.start), "-e", str(chunk.end - 1)]
    source += [*arg_flags(dict(task.args)), str(task.script), "-"]
    env = {**os.environ, **dict(task.env)}
    where = f"{chunk.describe()} on {node}"
    with tempfile.TemporaryFile() as source_log, tempfile.TemporaryFile() as encoder_log:
        encoder = encode_command(ffmpeg, task.codec, task.encoder_args, part)
        source_rc, encoder_rc = _pipe(source, encoder, env, source_log, encoder_log)
        # When one side fails the other usually does too (no input, or a broken pipe): show both.
        failures = [
            f"{name} exited with {rc}:\n{_read(log)}"
            for name, rc, log in (("vspipe", source_rc, source_log), ("the encoder (ffmpeg)", encoder_rc, encoder_log))
            if rc != 0
        ]
    if failures:
        raise ChunkError(f"{where}: " + "\n".join(failures))
    frames = packet_count(part)
    if frames != chunk.frames:
        raise ChunkError(f"{where}: {part} holds {frames} frames, expected {chunk.frames}")
    os.replace(part, task.path)
    return ChunkResult(chunk.index, frames, task.path.stat().st_size, time.monotonic() - started, node)


def _pipe(source: list[str], encoder: list[str], env: dict[str, str], source_log, encoder_log) -> tuple[int, int]:
    """Run ``source | encoder``; both are killed if this is interrupted (Ctrl-C, a cancelled task).

    Each runs in its own process group, killed as a whole: a venv's ``vspipe`` is a Python
    wrapper that starts the real vspipe as its child, which killing the wrapper alone would orphan.
    """
    group = dict(env=env, start_new_session=True)
    producer = subprocess.Popen(source, stdout=subprocess.PIPE, stderr=source_log, **group)
    consumer = subprocess.Popen(encoder, stdin=producer.stdout, stderr=encoder_log, **group)
    producer.stdout.close()  # the encoder holds the pipe now: vspipe sees EPIPE if it dies
    try:
        return producer.wait(), consumer.wait()
    finally:
        for process in (producer, consumer):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _read(log) -> str:
    log.seek(0)
    return tail(log.read().decode(errors="replace"))
