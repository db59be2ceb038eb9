"""scripts/gpu_train.sh on the CPU with a tiny setting, from a pack made by vsstvun.data.pack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_cel import drawing
from test_data import pan, texture

from vsstvun.data import pack

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # about 35 s of CPU: three tiny training runs in fresh interpreters
def test_gpu_train_tiny_runs_from_a_pack(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "cels").mkdir(parents=True)
    writer = cv2.VideoWriter(str(media / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 24, (64, 64))
    for frame in pan(60, 64, 64, step=2, cell=8):  # 28 frames after the held-out 32
        writer.write(frame[..., ::-1])
    writer.release()
    cv2.imwrite(str(media / "photo.png"), texture(80, 100))
    names = [f"cel_{i}" for i in range(12)]
    for i, name in enumerate(names):
        cv2.imwrite(str(media / "cels" / f"{name}.png"), drawing(300, 200, i))
    size = pack.pack(tmp_path / "pack", [media / "clip.mp4"], [media / "photo.png"], media / "cels")
    assert 0 < size < pack.MAX_MIB * 2**20
    packed = sorted(p.stem for p in (tmp_path / "pack" / "clipart").iterdir())
    assert packed and all(not pack.clipart.held_out(n) for n in packed)  # held-out drawings stay home
    assert all(max(cv2.imread(str(p)).shape[:2]) <= pack.CLIPART_SIDE for p in (tmp_path / "pack/clipart").iterdir())
    assert len(pack.source_specs(tmp_path / "pack")) == 3

    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "TRAINDATA": str(tmp_path / "pack"),
        "OUT": str(tmp_path / "out"),
        "GPU_TRAIN_TINY": "1",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(["bash", "scripts/gpu_train.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for run, preset, scale in [("lite_x4", "lite", 4), ("lite_x2", "lite", 2), ("base_x4", "base", 4)]:
        export = tmp_path / "out" / run / f"stvun_{preset}_x{scale}.safetensors"
        assert 0 < export.stat().st_size < 16 * 2**20
        data = json.loads((tmp_path / "out" / run / "config.json").read_text())
        assert data["data"]["real"] == 0.6 and any(s.startswith("cel:") for s in data["data"]["sources"])
    recs = [json.loads(line) for line in (tmp_path / "out/base_x4/log.jsonl").read_text().splitlines()]
    assert np.isfinite([r["loss"] for r in recs if "loss" in r][-1])
    assert [r["step"] for r in recs if "val_centre" in r] == [0, 2]  # validation curve: start and end
