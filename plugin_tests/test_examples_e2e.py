"""The example scripts, exactly as documented: ffmpeg clip -> vspipe | x265 -> ffprobe.

Uses random-init ``lite`` checkpoints through ``-a model_path=...``: this checks the plumbing
(sizes, frame counts, rates, encodability), not picture quality.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VSPIPE = shutil.which("vspipe", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
TOOLS = {"vspipe": VSPIPE, **{tool: shutil.which(tool) for tool in ("x265", "ffmpeg", "ffprobe")}}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(TOOLS.values()), reason=f"needs {', '.join(t for t, p in TOOLS.items() if not p)}"),
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 frames of 64x48 test pattern at 24000/1001, H.264."""
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            TOOLS["ffmpeg"],
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=24000/1001",
            "-frames:v",
            "8",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.parametrize(
    ("script", "scale", "frames", "rate", "options"),
    [
        ("live_action.vpy", 4, 16, "48000/1001", []),
        ("anime.vpy", 2, 20, "60000/1001", []),  # ceil(8 * 5/2)
        ("anime_dedup.vpy", 2, 4, "60000/1001", ["--end", "3", "-a", "temporal=warp"]),  # as anime.vpy: 4 frames
        ("yuv.vpy", 2, 16, "48000/1001", []),  # YUV in the source's format: yuv420p
    ],
)
def test_example_encodes(script, scale, frames, rate, options, source, vsscript_env, lite_weights, tmp_path):
    out, log = tmp_path / "out.hevc", tmp_path / "vspipe.log"
    with log.open("wb") as stderr:
        vspipe = subprocess.Popen(
            [
                TOOLS["vspipe"],
                "-c",
                "y4m",
                str(ROOT / "examples" / script),
                "-a",
                f"input={source}",
                "-a",
                f"model_path={lite_weights(scale)}",
                *options,
                "-",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=vsscript_env,
        )
        x265 = subprocess.run(
            [
                TOOLS["x265"],
                "--log-level",
                "error",
                "--preset",
                "ultrafast",
                "--y4m",
                "--input",
                "-",
                "--output",
                str(out),
            ],
            stdin=vspipe.stdout,
            capture_output=True,
        )
        vspipe.stdout.close()
        status = vspipe.wait(timeout=300)
    assert status == 0, log.read_text()
    assert x265.returncode == 0, x265.stderr.decode()

    probe = subprocess.run(
        [
            TOOLS["ffprobe"],
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,r_frame_rate,nb_read_frames",
            "-of",
            "json",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (stream,) = json.loads(probe.stdout)["streams"]
    assert (stream["width"], stream["height"]) == (64 * scale, 48 * scale)
    assert int(stream["nb_read_frames"]) == frames
    assert stream["r_frame_rate"] == rate
