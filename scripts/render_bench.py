"""Measure ``python -m vsstvun.render`` against one plain ``vspipe | ffmpeg`` run of the same clip.

    .venv/bin/python scripts/render_bench.py --out results/render

Renders a generated clip (a texture panning over ``--frames`` frames of ``--size``) through
``vsstvun.stvun`` (packaged lite x2 weights, 2x fps) to ffv1 three ways: plain vspipe (one
process, all cores), and the render command with 1 and with 2 local workers. Also times a 1-frame
vspipe run: the fixed cost every chunk pays (Python, torch, the script, the model). Writes
``render_bench.md`` and ``render_bench.json``; the machine's load average is recorded with each
run because the numbers mean little on a shared machine without it.

It then projects a 2-hour film (24 fps doubled: 345,600 output frames) onto N workers from an
*assumed* per-worker rate (``--worker-fps``, default 10: issue #16's target for ``full`` on one
H100, not a measurement) and the startup measured here as each chunk's fixed cost.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vsstvun.render.tools import find_tool  # noqa: E402

SCRIPT = """
import numpy as np
import vapoursynth as vs

import vsstvun

core = vs.core
width, height, length = {width}, {height}, {frames}
blank = core.std.BlankClip(format=vs.RGBS, width=width, height=height, length=length, fpsnum=24, fpsden=1)
texture = np.random.default_rng(0).random((3, height // 8 + 1, (width + 3 * length) // 8 + 2), dtype=np.float32)
texture = np.kron(texture, np.ones((8, 8), np.float32))[:, :height]


def draw(n, f):
    out = f.copy()
    for p in range(3):
        np.copyto(np.asarray(out[p]), texture[p, :, 3 * n : 3 * n + width])
    return out


clip = vsstvun.stvun(core.std.ModifyFrame(blank, blank, draw), scale=2)
core.resize.Bicubic(clip, format=vs.YUV444P8, matrix_s="709").set_output()
"""


def timed(command: list[str] | str, env: dict[str, str]) -> dict[str, float]:
    """Wall time of ``command`` (a shell line if a string) with the load average before it."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(command, shell=isinstance(command, str), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return {"seconds": round(time.monotonic() - started, 2), "load_before": round(load, 2)}


def projection(frames: int, worker_fps: float, chunk: int, startup: float) -> str:
    """Markdown table: wall time of ``frames`` on N workers, each chunk paying ``startup`` once.

    Chunks run in rounds of N; the last round may be partly idle (that is the ``ceil``).
    """
    chunks = math.ceil(frames / chunk)
    per_chunk = chunk / worker_fps + startup
    rows = []
    for workers in (1, 2, 4, 8, 16, 32):
        seconds = math.ceil(chunks / workers) * per_chunk
        rows.append(f"| {workers} | {seconds / 3600:.2f} h | {frames / seconds:.1f} fps |")
    return "\n".join(
        [
            f"#### Projection: {frames:,} output frames, {chunks} chunks of {chunk}, {worker_fps:g} fps per worker "
            f"(assumed), {startup:.0f} s startup per chunk (measured above)",
            "",
            "| workers (GPUs) | wall time | total fps |",
            "|---|---|---|",
            *rows,
        ]
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="128x96", help="source WxH (output is 2x)")
    p.add_argument("--frames", type=int, default=24, help="source frames (output: 2x)")
    p.add_argument("--chunk", type=int, default=12, help="output frames per chunk")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "render")
    p.add_argument("--film-frames", type=int, default=2 * 60 * 60 * 24 * 2, help="projection: output frames")
    p.add_argument("--film-chunk", type=int, default=2400, help="projection: output frames per chunk")
    p.add_argument("--worker-fps", type=float, default=10.0, help="projection: assumed output fps of one worker")
    options = p.parse_args()
    width, height = (int(v) for v in options.size.split("x"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    vspipe, ffmpeg = find_tool("vspipe"), find_tool("ffmpeg")
    out_frames = 2 * options.frames
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.vpy"
        script.write_text(SCRIPT.format(width=width, height=height, frames=options.frames))
        encode = f"{ffmpeg} -loglevel error -f yuv4mpegpipe -i - -c:v ffv1 -y"
        one = f"{vspipe} -c y4m -e 0 {script} - | {encode} {tmp}/one.mkv"
        results["startup (1-frame vspipe run)"] = timed(one, env)
        results["plain vspipe into ffmpeg"] = timed(f"{vspipe} -c y4m {script} - | {encode} {tmp}/plain.mkv", env)
        for workers in (1, 2):
            render = [sys.executable, "-m", "vsstvun.render", str(script), "-o", f"{tmp}/w{workers}.mkv"]
            render += ["--workers", str(workers), "--chunk", str(options.chunk), "--codec", "ffv1", "--no-progress"]
            results[f"render, {workers} worker(s)"] = timed(render, env)
    plain = results["plain vspipe into ffmpeg"]["seconds"]
    rows = []
    for name, r in results.items():
        startup = name.startswith("startup")  # renders 1 frame: no rate, no comparison
        fps = "" if startup else f"{out_frames / r['seconds']:.2f} fps"
        ratio = "" if startup else f"{r['seconds'] / plain:.2f}x"
        rows.append(f"| {name} | {r['seconds']:.1f} s | {fps} | {ratio} | {r['load_before']:.1f} |")
    title = (
        f"lite x2, {width}x{height} -> {2 * width}x{2 * height}, 2x fps: {options.frames} -> {out_frames} frames, "
        f"chunks of {options.chunk} output frames, ffv1; {os.cpu_count()} CPUs"
    )
    table = "\n".join(
        [
            f"#### {title}",
            "",
            "| run | wall time | output fps | time vs plain | load average before |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    startup = results["startup (1-frame vspipe run)"]["seconds"]
    table += "\n\n" + projection(options.film_frames, options.worker_fps, options.film_chunk, startup)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "render_bench.md").write_text(table + "\n")
    config = {"size": [width, height], "frames": options.frames, "chunk": options.chunk, "cpus": os.cpu_count()}
    (options.out / "render_bench.json").write_text(json.dumps({"config": config, "results": results}, indent=1) + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
