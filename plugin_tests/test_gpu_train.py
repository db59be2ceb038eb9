"""The lent-GPU playbook on the CPU with a tiny setting: the data pack, then scripts/gpu_session.sh
(training runs and the check in one call) from it, and what comes back fits the device tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from test_cel import drawing
from test_data import texture, write_pan_clip

from vsstvun.data import clipart, pack

ROOT = Path(__file__).resolve().parents[1]


def _media(root: Path, photo_size: tuple[int, int]) -> Path:
    """``root/media`` with a photo ``photo.png`` of ``photo_size`` (h, w) and 12 drawings in ``cels/``."""
    media = root / "media"
    (media / "cels").mkdir(parents=True)
    cv2.imwrite(str(media / "photo.png"), texture(*photo_size))
    for i in range(12):
        cv2.imwrite(str(media / "cels" / f"cel_{i}.png"), drawing(300, 200, i))
    return media


def test_pack_keeps_drawings_in_palette_pngs_within_its_budget(tmp_path: Path) -> None:
    media = _media(tmp_path, (900, 1000))
    size = pack.pack(tmp_path / "all", [], [media / "photo.png"], media / "cels")
    packed = sorted((tmp_path / "all" / "clipart").iterdir())
    assert packed and all(not clipart.held_out(p.stem) for p in packed)  # held-out drawings stay home
    for p in packed:
        layer, source = clipart.read_layer(p), clipart.read_layer(media / "cels" / p.name)
        assert max(layer.shape[:2]) == pack.CLIPART_SIDE
        assert np.abs(layer.astype(int) - pack.fit(source, pack.CLIPART_SIDE)).mean() < 2  # palette: near-lossless
    assert max(cv2.imread(str(next((tmp_path / "all" / "stills").iterdir()))).shape) == pack.STILL_SIDE
    # A smaller budget keeps fewer drawings, the first ones of the same order, and is kept.
    small = pack.pack(tmp_path / "some", [], [media / "photo.png"], media / "cels", max_bytes=size - 1)
    kept = sorted((tmp_path / "some" / "clipart").iterdir())
    assert small <= size - 1 and 0 < len(kept) < len(packed)
    with pytest.raises(RuntimeError, match="over"):
        pack.pack(tmp_path / "none", [], [media / "photo.png"], media / "cels", max_bytes=1000)


def _tiny_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A pack of one short clip, a photo and drawings under ``tmp_path/pack``, and the environment
    that runs the GPU scripts from it on the CPU with the tiny setting (runs in ``tmp_path/runs``)."""
    media = _media(tmp_path, (80, 100))
    write_pan_clip(media / "clip.mp4", 60, 64)  # 28 frames after the held-out 32
    pack.pack(tmp_path / "pack", [media / "clip.mp4"], [media / "photo.png"], media / "cels")
    assert len(pack.source_specs(tmp_path / "pack")) == 3
    return {
        **os.environ,
        "PYTHON": sys.executable,
        "TRAINDATA": str(tmp_path / "pack"),
        "RUNS": str(tmp_path / "runs"),
        "GPU_TRAIN_TINY": "1",
        "OMP_NUM_THREADS": "1",
        **extra,
    }


@pytest.mark.slow  # about 40 s of CPU: two tiny training runs and the check, in fresh interpreters
def test_gpu_session_tiny_runs_from_a_pack(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = _tiny_env(tmp_path, OUT=str(out), GPU_PSNR="1", GPU_AMP="1")
    done = subprocess.run(["bash", "scripts/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    files = sorted(p.name for p in out.iterdir())
    assert all(p.is_file() for p in out.iterdir()) and len(files) <= 8  # what the device tool brings back
    assert {"session.log", "train.tar.gz", "env.txt", "tests.txt"} <= set(files)
    for scale in (4, 2):
        assert 0 < (out / f"stvun_lite_x{scale}.safetensors").stat().st_size < 16 * 2**20
    with tarfile.open(out / "train.tar.gz") as tar:
        names = set(tar.getnames())
        assert {f"./lite_x{s}/{f}" for s in (4, 2) for f in ("log.jsonl", "config.json", "loss.png")} <= names
        data = json.load(tar.extractfile("./lite_x4/config.json"))
        x2 = json.load(tar.extractfile("./lite_x2/config.json"))
        log = tar.extractfile("./lite_x2/log.jsonl").read().decode().splitlines()
    assert data["data"]["real"] == 1.0 and any(s.startswith("cel:") for s in data["data"]["sources"])
    # Each scale goes on from its real-source weights.
    assert data["lr_over_minutes"] and data["init"].endswith("stvun_lite_real_x4.safetensors")
    assert data["psnr"] and data["freeze_flow"]  # GPU_PSNR=1 reaches train, beside the frozen flow net
    assert data["amp"] and x2["amp"]  # and GPU_AMP=1
    assert x2["init"].endswith("stvun_lite_real_x2.safetensors")
    recs = [json.loads(line) for line in log]
    assert np.isfinite([r["loss"] for r in recs if "loss" in r][-1])
    assert [r["step"] for r in recs if "val_centre" in r] == [0, 2]  # validation curve: start and end
    session = (out / "session.log").read_text()
    assert session.index("== training") < session.index("== check") < session.index("== done")


@pytest.mark.slow  # about 30 s of CPU: two tiny head runs in fresh interpreters
def test_gpu_train_head_mode_trains_the_fusion_heads_alone(tmp_path: Path) -> None:
    """GPU_HEAD=1 retrains lite-real's fusion heads, nothing else: every tensor outside the head
    comes back bit-identical to the shipped file, and the head moved."""
    env, runs = _tiny_env(tmp_path, GPU_HEAD="1"), tmp_path / "runs"
    done = subprocess.run(["bash", "scripts/gpu_train.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for scale in (4, 2):
        config = json.loads((runs / f"lite_x{scale}" / "config.json").read_text())
        assert config["fusion_only"] and config["fusion_dis"] and config["fusion_split"] and config["fusion_base"]
        assert config["fusion_splat"]
        assert config["psnr"] and config["fusion_extra_lr_scale"] == 10
        trained = load_file(runs / f"lite_x{scale}" / f"stvun_lite_x{scale}.safetensors")
        shipped = load_file(ROOT / "vsstvun" / "weights" / f"stvun_lite_real_x{scale}.safetensors")
        head = [k for k in trained if k.startswith("fusion.")]
        assert head and any(not torch.equal(trained[k].float(), shipped[k].float()) for k in head)
        rest = [k for k in trained if not k.startswith("fusion.") and k in shipped]
        assert rest and all(torch.equal(trained[k].float(), shipped[k].float()) for k in rest)
    flow_too = {**env, "GPU_FLOW_LR": "0.1"}
    refused = subprocess.run(["bash", "scripts/gpu_train.sh"], cwd=ROOT, env=flow_too, capture_output=True, text=True)
    assert refused.returncode != 0 and "GPU_FLOW_LR" in refused.stderr


def test_gpu_session_skips_a_part_whose_limit_is_zero(tmp_path: Path) -> None:
    """``timeout 0`` means no limit at all, so a zero TRAIN_S or CHECK_S must skip its part,
    not run it unbounded (a second call of a session retrains without measuring the card again)."""
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "RUNS": str(tmp_path / "runs"), "TRAIN_S": "0", "CHECK_S": "0.0"}
    done = subprocess.run(["bash", "scripts/gpu_session.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["session.log"]
    assert [line.split(" (")[0] for line in (out / "session.log").read_text().splitlines()] == [
        "== training",
        "== check",
        "== done",
    ]


#: What .gpu/pyav.tar.xz takes of a device call, rounded up (scripts/gpu_pack.sh: 23.1 MiB for PyAV 19).
PYAV_MIB = 24


def test_the_tree_leaves_room_for_the_gpu_call() -> None:
    """A device call carries the working tree, the pack and PyAV in 64 MiB: results committed
    with plots and crops for every experiment would crowd out the training data."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    paths = [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    size = sum(p.stat().st_size for p in paths if p.is_file())
    assert size <= (64 - pack.MAX_MIB - PYAV_MIB) * 2**20, f"tracked files take {size / 2**20:.1f} MiB"


def _zip_package(package: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as wheel:
        for f in package.rglob("*"):
            wheel.write(f, f.relative_to(package.parent))


def _tar_package(package: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(package, arcname=package.name)


@pytest.mark.parametrize(
    ("module", "archive", "make"),
    [("vapoursynth", ".gpuvs/vapoursynth.whl", _zip_package), ("av", ".gpu/pyav.tar.xz", _tar_package)],
)
def test_gpu_env_unpacks_what_a_call_carries(tmp_path: Path, module: str, archive: str, make) -> None:
    """A lent machine's Python lacks VapourSynth and PyAV and cannot pip install: the filter
    check's call carries VapourSynth's wheel (.gpuvs/), the training call PyAV's files (.gpu/,
    tar.xz), and scripts/gpu_env.sh unpacks either onto PYTHONPATH. A Python without
    site-packages (-S) stands for that machine's; the wheel is zipped from the VapourSynth
    installed here, the PyAV archive holds a stand-in package."""
    if module == "vapoursynth":
        package = Path(pytest.importorskip("vapoursynth").__file__).parent
    else:
        package = tmp_path / "src" / "av"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    (tree / "scripts" / "gpu_env.sh").write_text((ROOT / "scripts" / "gpu_env.sh").read_text())
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    probe = f'source scripts/gpu_env.sh; "$py" -c "import {module}; print({module}.__file__)"'
    env = {**os.environ, "PYTHON": str(python), "TMPDIR": str(tmp_path), "PYTHONPATH": ""}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", probe], cwd=tree, env=env, capture_output=True, text=True)

    assert run().returncode != 0  # nothing carried: not importable for that Python
    (tree / archive).parent.mkdir()
    make(package, tree / archive)
    done = run()
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(tmp_path / f"vsstvun-{module}")
    assert not (tmp_path / f"vsstvun-{module}.part").exists()
