"""vsstvun.eval: the protocol on tiny generated clips, baselines, model wiring, CLI outputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from test_data import pan  # the clip generator shared with the data tests

from vsstvun.eval import evaluate
from vsstvun.eval.__main__ import main
from vsstvun.eval.protocol import GROUPS, METRICS, window_positions

BASELINES = ("bicubic+blend", "bicubic+DIS")


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """9 frames of 64x64: a smooth texture translating 2 px per frame."""
    return pan(9, 64, 64, step=2, cell=8)


def test_result_layout(clip: np.ndarray) -> None:
    r = evaluate(None, clip, scale=4, time_factor=2, crop=2)
    assert {"scale", "time_factor", "crop", "frames", "hr_size", "lr_size", "windows", "skipped_pairs"} <= set(
        r["config"]
    )
    assert r["config"]["lr_size"] == [16, 16] and r["config"]["windows"] == 5 and r["config"]["skipped_pairs"] == 0
    assert set(r["methods"]) == set(BASELINES)
    for res in r["methods"].values():
        assert set(GROUPS) <= set(res) and list(res["by_t"]) == ["0.5"]
        assert [res[g]["count"] for g in GROUPS] == [5, 4, 9]
        assert set(res["all"]) == set(METRICS) | {"count"}
    blend, flow = (r["methods"][b] for b in BASELINES)
    assert blend["centre"] == flow["centre"]  # both are bicubic there
    json.dumps(r)


def test_flow_beats_blending_on_translation(clip: np.ndarray) -> None:
    for factor in (2, 4):
        r = evaluate(None, clip, scale=4, time_factor=factor)
        blend, flow = (r["methods"][b]["intermediate"] for b in BASELINES)
        assert flow["psnr_y"] > blend["psnr_y"] + 1.0, factor
        assert flow["ssim_y"] > blend["ssim_y"]
    assert list(r["methods"]["bicubic+DIS"]["by_t"]) == ["0.25", "0.5", "0.75"]
    assert r["methods"]["bicubic+DIS"]["intermediate"]["count"] == 6


def test_window_positions() -> None:
    no_cut = [False] * 9
    assert window_positions(0, 10, no_cut) == [0, 0, 0, 0, 1, 2, 3]
    assert window_positions(9, 10, no_cut) == [6, 7, 8, 9, 9, 9, 9]
    cut_after_4 = [i == 4 for i in range(9)]
    assert window_positions(4, 10, cut_after_4) == [1, 2, 3, 4, 4, 4, 4]
    assert window_positions(5, 10, cut_after_4) == [5, 5, 5, 5, 6, 7, 8]


def test_scene_cut_pairs_are_skipped() -> None:
    frames = np.concatenate([pan(5, 64, 64, seed=1, cell=8), pan(6, 64, 64, seed=2, cell=8)])
    r = evaluate(None, frames, scale=4, time_factor=2, crop=0)
    assert r["config"]["skipped_pairs"] == 1
    assert r["methods"]["bicubic+blend"]["intermediate"]["count"] == 4
    r = evaluate(None, frames, scale=4, time_factor=2, cut_threshold=None)
    assert r["config"]["skipped_pairs"] == 0


def test_model_is_scored(clip: np.ndarray) -> None:
    from vsstvun.model import build_model

    torch.manual_seed(0)
    model = build_model("lite", 4)
    r = evaluate(model, clip, scale=4, time_factor=2, crop=0, baselines=False)
    assert list(r["methods"]) == ["stvun-lite"]
    res = r["methods"]["stvun-lite"]
    assert [res[g]["count"] for g in GROUPS] == [5, 4, 9]
    assert all(np.isfinite(res["all"][k]) for k in METRICS)


def test_cli(
    tmp_path: Path, clip: np.ndarray, lite_weights: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, f in enumerate(clip):
        cv2.imwrite(str(frames / f"{i:02d}.png"), f[..., ::-1])
    out = tmp_path / "out"
    args = [
        "--video",
        str(frames),
        "--frames",
        "7",
        "--model-path",
        str(lite_weights(4)),
        "--crop",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| stvun-lite | intermediate | 3 |" in printed and "| bicubic+DIS | centre | 4 |" in printed
    r = json.loads((out / "eval.json").read_text())
    assert r["config"]["frames"] == 7 and set(r["methods"]) == {*BASELINES, "stvun-lite"}
    assert (out / "eval.md").read_text() in printed and (out / "eval.png").stat().st_size > 1000
    assert r["config"]["flow_upsample"] == 2  # the lite preset's
    assert main(args + ["--flow-upsample", "4"]) == 0
    r4 = json.loads((out / "eval.json").read_text())
    assert r4["config"]["flow_upsample"] == 4
    assert r4["methods"]["stvun-lite"]["centre"] == r["methods"]["stvun-lite"]["centre"]  # flow-free frames
    assert r4["methods"]["stvun-lite"]["intermediate"] != r["methods"]["stvun-lite"]["intermediate"]
    assert main(["--video", str(frames), "--model", "none", "--out", str(out)]) == 0
    assert main(["--video", str(frames), "--model-path", str(tmp_path / "missing.safetensors"), "--out", str(out)]) == 2
