"""``python -m vsstvun.render``: chunk planning, and whole renders on a 2-worker local Ray cluster
checked frame by frame against one plain ``vspipe`` run (ffv1, lossless)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from vsstvun.render import RenderError, RenderJob, render
from vsstvun.render.cluster import size_workers, start_local
from vsstvun.render.codec import concat_list
from vsstvun.render.join import check_output
from vsstvun.render.manifest import Manifest
from vsstvun.render.plan import map_cuts, plan_chunks
from vsstvun.render.probe import ScriptInfo, probe_script
from vsstvun.render.tools import find_tool
from vsstvun.render.worker import ChunkResult

ROOT = Path(__file__).resolve().parent.parent

# A plain script: 12 frames of a moving gradient at 24000/1001 with a cut flagged before frame 5
# (props), and a `fail_from` argument that makes frames from there on raise on the worker.
MOVING = """
import numpy as np
import vapoursynth as vs

core = vs.core
fail_from = int(globals().get("fail_from", 1 << 30))
blank = core.std.BlankClip(format=vs.YUV420P8, width=64, height=64, length=12, fpsnum=24000, fpsden=1001)


def draw(n, f):
    if n >= fail_from:
        raise ValueError(f"deliberate failure at frame {n}")
    out = f.copy()
    luma = np.asarray(out[0])
    luma[:] = (np.arange(64)[None, :] * 3 + n * 11 + np.arange(64)[:, None]) % 256
    out.props["_SceneChangePrev"] = int(n == 5)
    return out


core.std.ModifyFrame(blank, blank, draw).set_output()
"""

# vsstvun itself: 6 frames of 32x32 -> 12 frames of 64x64 (x2 space, x2 time), random-init lite.
STVUN = """
import numpy as np
import vapoursynth as vs

import vsstvun

core = vs.core
blank = core.std.BlankClip(format=vs.RGBS, width=32, height=32, length=6, fpsnum=24, fpsden=1)
rng = np.random.default_rng(0)
texture = rng.random((3, 32, 48), dtype=np.float32)


def draw(n, f):
    out = f.copy()
    for p in range(3):
        np.copyto(np.asarray(out[p]), texture[p, :, n * 2 : n * 2 + 32])
    return out


clip = vsstvun.stvun(core.std.ModifyFrame(blank, blank, draw), scale=2, model_path=model_path)
core.resize.Bicubic(clip, format=vs.YUV444P8, matrix_s="709").set_output()
"""


# ---- pure parts ----


def test_plan_covers_every_frame_once_and_snaps_to_the_nearest_cut():
    chunks = plan_chunks(100, 20, cuts=[18, 23, 61, 99])
    assert [(c.start, c.end) for c in chunks] == [(0, 18), (18, 38), (38, 61), (61, 81), (81, 100)]
    assert all(c.frames > 0 for c in chunks) and [c.index for c in chunks] == list(range(5))
    # A cut beyond `snap` of the nominal border is ignored; with snap 0 the plan is the plain grid.
    assert [c.end for c in plan_chunks(100, 20, cuts=[14], snap=5)][:1] == [20]
    assert [c.end for c in plan_chunks(50, 20, cuts=[19, 21], snap=0)] == [20, 40, 50]
    # A tail of less than half a chunk is not a chunk of its own.
    assert [c.end for c in plan_chunks(45, 20)] == [20, 45]
    assert [c.end for c in plan_chunks(12, 6, cuts=[5])] == [5, 12]


def test_plan_rejects_bad_sizes():
    with pytest.raises(ValueError, match="chunk size"):
        plan_chunks(10, 0)
    with pytest.raises(ValueError, match="no frames"):
        plan_chunks(0, 10)


def test_cuts_map_to_the_output_timeline_exactly():
    # A cut before source frame k of a 24000/1001 clip is at output k * 5/2 of 60000/1001 (anime.vpy).
    assert map_cuts([2, 10, 48_000], Fraction(24000, 1001), Fraction(60000, 1001)) == [5, 25, 120_000]


def test_concat_list_gives_each_chunk_its_exact_duration():
    text = concat_list([(Path("/a/0.nut"), 6), (Path("/a/it's.nut"), 24000)], Fraction(24000, 1001))
    assert text.splitlines() == [
        "ffconcat version 1.0",
        "file '/a/0.nut'",
        "duration 0.250250",
        "file '/a/it'\\''s.nut'",
        "duration 1001.000000",
    ]


def test_concat_durations_do_not_drift_over_many_chunks():
    """7-frame chunks at 24000/1001 last 0.2919583... s: rounded one by one they lose a
    microsecond a chunk and the joined stamps fall a tick behind n / fps."""
    fps = Fraction(24000, 1001)
    text = concat_list([(Path(f"/a/{i}.nut"), 7) for i in range(300)], fps)
    durations = [Fraction(line.split()[1]) for line in text.splitlines() if line.startswith("duration")]
    borders = itertools.accumulate(durations)
    assert all(abs(t - 7 * (i + 1) / fps) <= Fraction(1, 2_000_000) for i, t in enumerate(borders))


def test_manifest_of_a_job_with_script_arguments_resumes(tmp_path):
    """The job's identity holds tuples (the -a pairs); the file holds lists, which must match."""
    path = tmp_path / "out.mkv.render.json"
    job = {"script": "a.vpy", "args": [("input", "a.mp4")], "chunks": [[0, 6], [6, 12]]}
    Manifest.open(path, job, resume=False).record(ChunkResult(0, 6, 100, 1.0, "node"))
    assert list(Manifest.open(path, job, resume=True).done) == [0]
    with pytest.raises(RenderError, match="args differ"):
        Manifest.open(path, {**job, "args": [("input", "b.mp4")]}, resume=True)
    with pytest.raises(RenderError, match="--resume"):
        Manifest.open(path, job, resume=False)


def test_a_manifest_with_no_finished_chunk_does_not_block_a_new_run(tmp_path):
    """A run that failed before its first chunk (a worker count, an unreachable cluster) left
    nothing to resume: the next run, even with other options, starts afresh."""
    path = tmp_path / "out.mkv.render.json"
    Manifest.open(path, {"codec": "x265"}, resume=False).save()
    assert Manifest.open(path, {"codec": "ffv1"}, resume=False).job == {"codec": "ffv1"}


@pytest.mark.parametrize(("name", "codec"), [("out", "ffv1"), ("out.mp4", "ffv1")])
def test_an_output_that_cannot_take_the_stream_is_refused_up_front(tmp_path, name, codec):
    with pytest.raises(RenderError, match=f"cannot write --codec {codec} into {name}"):
        check_output(tmp_path / name, codec, ())
    assert list(tmp_path.iterdir()) == []  # the trial file is gone
    check_output(tmp_path / "out.mkv", codec, ())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--chunk", "0"), "--chunk: must be >= 1"),
        (("--workers", "0"), "--workers: must be >= 1"),
        (("--retries", "-1"), "--retries: must be >= 0"),
        (("--chunk", "ten"), "--chunk: invalid whole number value"),
    ],
)
def test_cli_refuses_bad_counts_before_starting(tmp_path, option, message):
    done = run_cli(str(tmp_path / "a.vpy"), "-o", str(tmp_path / "out.mkv"), *option)
    assert done.returncode == 2 and message in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_workers_one_per_gpu_else_requested_cpus_split():
    gpus = size_workers({"CPU": 16, "GPU": 4}, None)
    assert (gpus.count, gpus.task_options(), gpus.env()) == (4, {"num_gpus": 1, "num_cpus": 0}, ())
    cpus = size_workers({"CPU": 8}, 2)
    assert (cpus.count, cpus.task_options(), cpus.env()) == (2, {"num_cpus": 4}, (("OMP_NUM_THREADS", "4"),))
    with pytest.raises(RenderError, match="--workers"):
        size_workers({"CPU": 8}, 0)


# ---- whole renders ----


@pytest.fixture(scope="module")
def cluster(vsscript_env):
    """One local Ray cluster for the module (starting one takes 10 s or more), shut down after."""
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as patch:
        for key in ("XDG_CONFIG_HOME", "OMP_NUM_THREADS"):  # Ray's workers inherit the environment
            patch.setenv(key, vsscript_env[key])
        start_local(num_cpus=2)
        try:
            yield
        finally:
            ray.shutdown()


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clip.vpy"
    path.write_text(textwrap.dedent(text))
    return path


def frame_hashes(source: list[str], env: dict[str, str]) -> list[str]:
    """MD5 of every decoded frame of ``ffmpeg <source>``."""
    out = subprocess.run(
        [find_tool("ffmpeg"), "-nostdin", "-loglevel", "error", *source, "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines() if not line.startswith("#")]


def vspipe_hashes(path: Path, args: dict[str, str], env: dict[str, str]) -> list[str]:
    """The frames of one whole ``vspipe`` run of ``path``."""
    flags = [flag for key, value in args.items() for flag in ("-a", f"{key}={value}")]
    vspipe = subprocess.run(
        [find_tool("vspipe"), "-c", "y4m", *flags, str(path), "-"], capture_output=True, env=env, check=True
    )
    with_input = subprocess.run(
        [find_tool("ffmpeg"), "-nostdin", "-loglevel", "error", "-f", "yuv4mpegpipe", "-i", "-", "-f", "framemd5", "-"],
        input=vspipe.stdout,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [line.split(",")[-1].strip() for line in with_input.splitlines() if not line.startswith("#")]


def timestamps(path: Path) -> list[float]:
    out = subprocess.run(
        [find_tool("ffprobe"), "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(float(t) for t in out.split())


@pytest.mark.slow  # starting Ray: 10 s idle, 30 to 45 s at load 17 on 2 cores
def test_two_chunks_on_two_workers_equal_one_vspipe_run_and_resume_redoes_only_the_broken_chunk(
    cluster, vsscript_env, tmp_path
):
    clip = script(tmp_path, MOVING)
    out = tmp_path / "out.mkv"
    job = RenderJob(clip, out, workers=2, chunk=6, codec="ffv1", cuts_from=0, keep_chunks=True)
    first = render(job, progress=False)

    expected = vspipe_hashes(clip, {}, vsscript_env)
    assert len(expected) == 12 and len(set(expected)) == 12
    assert frame_hashes(["-i", str(out)], vsscript_env) == expected
    fps = Fraction(24000, 1001)
    assert timestamps(out) == pytest.approx([float(n / fps) for n in range(12)], abs=0.001)  # mkv: ms
    manifest = json.loads(job.manifest.read_text())
    assert manifest["job"]["chunks"] == [[0, 5], [5, 12]]  # the border moved to the cut before frame 5
    assert (first.rendered, first.reused) == ((0, 1), ())

    # Simulated crash: chunk 1's file is cut short. --resume re-renders it alone.
    kept, broken = sorted(job.folder.glob("*.nut"))
    kept_stamp = kept.stat().st_mtime_ns
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    second = render(dataclasses.replace(job, resume=True), progress=False)
    assert (second.rendered, second.reused) == ((1,), (0,))
    assert kept.stat().st_mtime_ns == kept_stamp
    assert frame_hashes(["-i", str(out)], vsscript_env) == expected

    # Without --resume an existing manifest is not silently overwritten.
    with pytest.raises(RenderError, match="--resume"):
        render(job, progress=False)


@pytest.mark.slow  # four model loads (probe, two workers, the reference run): 2 min at load 17 on 2 cores
def test_stvun_script_in_chunks_equals_one_vspipe_run(cluster, vsscript_env, lite_weights, tmp_path):
    clip = script(tmp_path, STVUN)
    args = {"model_path": str(lite_weights(2))}
    out = tmp_path / "out.mkv"
    summary = render(RenderJob(clip, out, args=args, workers=2, chunk=6, codec="ffv1"), progress=False)
    assert summary.rendered == (0, 1)
    expected = vspipe_hashes(clip, args, vsscript_env)
    assert len(expected) == 12
    assert frame_hashes(["-i", str(out)], vsscript_env) == expected
    assert not out.with_name("out.mkv.chunks").exists()  # cleaned up after the join


@pytest.mark.slow
def test_a_script_failing_on_a_worker_reports_its_error(cluster, tmp_path):
    clip = script(tmp_path, MOVING)
    # One worker: chunk 0 is done before chunk 1 starts, so what the manifest holds is known.
    job = RenderJob(clip, tmp_path / "out.mkv", args={"fail_from": "8"}, workers=1, chunk=6, codec="ffv1")
    with pytest.raises(RenderError) as failure:
        render(job, progress=False)
    message = str(failure.value)
    assert "chunk 1 (frames 6-11)" in message and "vspipe exited" in message
    assert re.search(r"ValueError: deliberate failure at frame (8|9|10|11)\b", message)  # the script's own error
    assert list(json.loads(job.manifest.read_text())["done"]) == ["0"]  # kept for --resume


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "vsstvun.render", *args], capture_output=True, text=True, env=env)


def test_probe_evaluates_the_script_in_its_folder_like_vspipe(tmp_path):
    (tmp_path / "length.txt").write_text("7")
    clip = script(
        tmp_path,
        """
        import vapoursynth as vs

        length = int(open("length.txt").read())  # relative: vspipe runs scripts in their folder
        vs.core.std.BlankClip(length=length, fpsnum=30000, fpsden=1001).set_output()
        """,
    )
    assert Path.cwd() != tmp_path
    assert probe_script(clip, {}) == ScriptInfo(7, Fraction(30000, 1001))


def test_cli_reports_a_script_that_fails_to_evaluate(tmp_path):
    clip = script(tmp_path, 'raise RuntimeError("no input given")\n')
    done = run_cli(str(clip), "-o", str(tmp_path / "out.mkv"))
    assert done.returncode == 1
    assert "failed to evaluate" in done.stderr and "no input given" in done.stderr


def test_cli_reports_an_unreachable_cluster(tmp_path):
    clip = script(tmp_path, MOVING)
    done = run_cli(str(clip), "-o", str(tmp_path / "out.mkv"), "--address", "127.0.0.1:1")
    assert done.returncode == 1
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in done.stderr
