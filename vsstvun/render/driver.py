"""The render job from start to end: probe, plan, render the missing chunks on Ray, join.

Chunks are submitted ``workers`` at a time, so at most that many are in flight when the user
presses Ctrl-C or a chunk fails; every chunk finished by then is in the manifest already.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cluster import Workers, connect
from .codec import CHUNK_SUFFIX
from .join import check_output, join_chunks
from .manifest import Manifest
from .plan import Chunk, plan_chunks
from .probe import ScriptInfo, probe_script
from .tools import RenderError, find_tool
from .worker import ChunkTask, render_chunk

#: Seconds cancelled chunks get to stop their subprocesses.
_CANCEL_WAIT = 20


@dataclass(frozen=True)
class RenderJob:
    """The command line's options (see ``python -m vsstvun.render --help``)."""

    script: Path
    output: Path
    args: Mapping[str, str] = field(default_factory=dict)
    workers: int | None = None
    chunk: int = 240
    codec: str = "x265"
    encoder_args: tuple[str, ...] = ()
    address: str | None = None
    resume: bool = False
    keep_chunks: bool = False
    cuts_from: int | None = None
    retries: int = 3

    @property
    def folder(self) -> Path:
        """Where the chunks go, next to the output (on a cluster: a folder every node can write)."""
        return self.output.with_name(self.output.name + ".chunks")

    @property
    def manifest(self) -> Path:
        return self.output.with_name(self.output.name + ".render.json")

    def identity(self, chunks: list[Chunk]) -> dict[str, Any]:
        """What a resumed run must share with the first one for its chunks to fit together."""
        return {
            "script": str(self.script),
            "script_sha256": hashlib.sha256(self.script.read_bytes()).hexdigest(),
            "args": sorted(self.args.items()),
            "codec": self.codec,
            "encoder_args": list(self.encoder_args),
            "chunks": [[c.start, c.end] for c in chunks],
        }


@dataclass(frozen=True)
class RenderSummary:
    frames: int
    rendered: tuple[int, ...]
    reused: tuple[int, ...]
    seconds: float
    workers: str


def render(job: RenderJob, progress: bool = True) -> RenderSummary:
    """Render ``job`` and return what was done; raises :class:`RenderError` with a user-facing message."""
    started = time.monotonic()
    job = _absolute(job)
    for tool in ("ffmpeg", "ffprobe") if job.address else ("vspipe", "ffmpeg", "ffprobe"):
        find_tool(tool)  # fail before anything starts; workers check their own copies again
    check_output(job.output, job.codec, job.encoder_args)
    info = probe_script(job.script, job.args, job.cuts_from)
    chunks = plan_chunks(info.num_frames, job.chunk, info.cuts)
    job.folder.mkdir(parents=True, exist_ok=True)
    files = {c: job.folder / f"{c.index:05d}{CHUNK_SUFFIX}" for c in chunks}
    manifest = Manifest.open(job.manifest, job.identity(chunks), job.resume)
    todo = manifest.missing(files)
    workers = "none needed"
    if todo:
        with connect(job.address, job.workers) as sized:
            workers = sized.describe()
            _render_all(job, info, todo, files, manifest, sized, progress)
    join_chunks([(files[c], c.frames) for c in chunks], job.output, info.fps, job.folder)
    if not job.keep_chunks:
        shutil.rmtree(job.folder)
        job.manifest.unlink()
    rendered = tuple(c.index for c in todo)
    reused = tuple(c.index for c in chunks if c.index not in rendered)
    return RenderSummary(info.num_frames, rendered, reused, time.monotonic() - started, workers)


def _absolute(job: RenderJob) -> RenderJob:
    """Workers do not share the driver's working directory: make the driver's paths absolute."""
    if not job.script.is_file():
        raise RenderError(f"script not found: {job.script}")
    return replace(job, script=job.script.resolve(), output=job.output.resolve())


def _render_all(
    job: RenderJob,
    info: ScriptInfo,
    todo: list[Chunk],
    files: Mapping[Chunk, Path],
    manifest: Manifest,
    workers: Workers,
    progress: bool,
) -> None:
    import ray
    from tqdm import tqdm

    remote = ray.remote(render_chunk).options(max_retries=job.retries, retry_exceptions=False, **workers.task_options())
    queue = list(reversed(todo))
    pending: dict[Any, Chunk] = {}
    already = info.num_frames - sum(c.frames for c in todo)
    bar = tqdm(total=info.num_frames, initial=already, unit="frame", disable=not progress, dynamic_ncols=True)
    try:
        while queue or pending:
            while queue and len(pending) < workers.count:
                chunk = queue.pop()
                task = ChunkTask(
                    script=job.script,
                    args=tuple(sorted(job.args.items())),
                    chunk=chunk,
                    path=files[chunk],
                    codec=job.codec,
                    encoder_args=job.encoder_args,
                    env=workers.env(),
                )
                pending[remote.remote(task)] = chunk
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                manifest.record(_result(ray, ref, chunk, job.retries))
                bar.update(chunk.frames)
                bar.set_postfix_str(f"{len(manifest.done)}/{len(files)} chunks")
    finally:
        # Ctrl-C or a failed chunk: stop the others (finished ones are recorded) and give them a
        # moment to kill their vspipe and encoder before Ray itself goes away.
        if pending:
            for ref in pending:
                ray.cancel(ref)
            ray.wait(list(pending), num_returns=len(pending), timeout=_CANCEL_WAIT)
        bar.close()


def _result(ray: Any, ref: Any, chunk: Chunk, retries: int):
    """The chunk's :class:`ChunkResult`, or the :class:`RenderError` that explains its failure."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause if isinstance(exc.cause, RenderError) else exc
        raise RenderError(str(cause)) from None
    except ray.exceptions.RayError as exc:
        raise RenderError(
            f"{chunk.describe()}: its worker was lost {retries + 1} times in a row ({type(exc).__name__}); "
            "finished chunks are kept: rerun with --resume"
        ) from None
