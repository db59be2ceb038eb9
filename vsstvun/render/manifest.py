"""The manifest: a JSON file next to the output naming the job and every finished chunk.

A chunk is recorded only after its file is complete and verified, and the file is rewritten
atomically, so whatever the manifest says is true after any crash or Ctrl-C. ``--resume``
trusts a recorded chunk only if its file still has the recorded size and frame count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .plan import Chunk
from .tools import RenderError, packet_count
from .worker import ChunkResult

_VERSION = 1


class Manifest:
    """Finished chunks of one job; ``job`` identifies the job (script, options, plan)."""

    def __init__(self, path: Path, job: Mapping[str, Any], done: Mapping[int, Mapping[str, Any]] | None = None) -> None:
        self.path = path
        self.job = json.loads(json.dumps(job))  # as it reads back: tuples become lists
        self.done = {int(k): dict(v) for k, v in (done or {}).items()}

    @classmethod
    def open(cls, path: Path, job: Mapping[str, Any], resume: bool) -> Manifest:
        """A new manifest, or with ``resume`` the existing one, which must be for the same ``job``.
        One that records no finished chunk (a run that failed before any) holds nothing to lose:
        it is started afresh, resume or not."""
        fresh = cls(path, job)  # its job as it reads back, which is how it compares
        if not path.exists():
            return fresh
        data = json.loads(path.read_text())
        if not data["done"]:
            return fresh
        if not resume:
            raise RenderError(
                f"{path} exists from an earlier run: pass --resume to continue it, "
                "or delete it and the chunk folder to start over"
            )
        changed = sorted(k for k in set(fresh.job) | set(data["job"]) if fresh.job.get(k) != data["job"].get(k))
        if changed:
            raise RenderError(
                f"{path} was written for another job ({', '.join(changed)} differ): "
                "rerun with the same script, arguments and options, or delete it to start over"
            )
        return cls(path, data["job"], data["done"])

    def missing(self, files: Mapping[Chunk, Path]) -> list[Chunk]:
        """The chunks still to render; records whose file is gone or changed are dropped."""
        missing = [chunk for chunk, file in files.items() if not self._intact(chunk, file)]
        for chunk in missing:
            self.done.pop(chunk.index, None)
        self.save()
        return missing

    def _intact(self, chunk: Chunk, file: Path) -> bool:
        entry = self.done.get(chunk.index)
        return (
            entry is not None
            and file.is_file()
            and file.stat().st_size == entry["bytes"]
            and packet_count(file) == chunk.frames
        )

    def record(self, result: ChunkResult) -> None:
        self.done[result.index] = asdict(result)
        self.save()

    def save(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"version": _VERSION, "job": self.job, "done": self.done}, indent=1))
        os.replace(temporary, self.path)
