"""vsstvun.eval: the protocol on tiny generated clips, baselines, model wiring, CLI outputs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from unittest.mock import ANY

import cv2
import numpy as np
import pytest
import torch
from test_data import pan  # the clip generator shared with the data tests

from vsstvun.data.codec import parse_degradation
from vsstvun.data.degrade import degrade
from vsstvun.eval import evaluate
from vsstvun.eval.__main__ import main, parse_degradations
from vsstvun.eval.crops import detail_box, side_by_side
from vsstvun.eval.methods import Sequential
from vsstvun.eval.metrics import psnr
from vsstvun.eval.protocol import GROUPS, METRICS, _to_uint8_hwc, degrade_inputs, showcase_input, window_positions
from vsstvun.eval.report import margins

BASELINES = ("bicubic+blend", "bicubic+DIS")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


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
    clean = out / "clean"  # one folder per degradation
    r = json.loads((clean / "eval.json").read_text())
    assert r["config"]["frames"] == 7 and set(r["methods"]) == {*BASELINES, "sequential", "stvun-lite"}
    assert r["config"]["degradation"] == "clean" and r["config"]["clip"] == "frames"
    assert (clean / "eval.md").read_text() in printed and (clean / "eval.png").stat().st_size > 1000
    assert {p.name for p in clean.glob("crop_*.png")} == {"crop_centre.png", "crop_intermediate.png"}
    assert r["config"]["flow_upsample"] == 2  # the lite preset's
    psnr = r["methods"]["stvun-lite"]["centre"]["psnr_y"]  # six significant digits (report.JSON_DIGITS)
    assert psnr == float(f"{psnr:.6g}") and len(repr(psnr).replace(".", "")) <= 6
    assert main(args + ["--flow-upsample", "4"]) == 0
    r4 = json.loads((clean / "eval.json").read_text())
    assert r4["config"]["flow_upsample"] == 4
    assert r4["methods"]["stvun-lite"]["centre"] == r["methods"]["stvun-lite"]["centre"]  # flow-free frames
    assert r4["methods"]["stvun-lite"]["intermediate"] != r["methods"]["stvun-lite"]["intermediate"]
    tables = tmp_path / "tables"
    # --model names the rows (with --model-path, the name a training export is scored under)
    assert main(args[:-1] + [str(tables), "--tables-only", "--model", "tuned"]) == 0
    assert sorted(p.name for p in (tables / "clean").iterdir()) == ["eval.json", "eval.md"]
    rt = json.loads((tables / "clean" / "eval.json").read_text())
    assert rt["crops"] == {}
    assert list(rt["methods"]) == [*BASELINES, "sequential", "stvun-tuned"]
    assert [v["all"] for v in rt["methods"].values()] == [
        r["methods"][m]["all"] for m in (*BASELINES, "sequential", "stvun-lite")
    ]
    assert "![" not in (tables / "clean" / "eval.md").read_text()
    assert main(["--video", str(frames), "--model", "none", "--out", str(out)]) == 0
    assert main(["--video", str(frames), "--model-path", str(tmp_path / "missing.safetensors"), "--out", str(out)]) == 2


# --- evaluation v2: degradations, the sequential baseline, crops ---------------------------------


@pytest.fixture(scope="module")
def lite4() -> torch.nn.Module:
    from vsstvun.model import build_model

    torch.manual_seed(0)
    return build_model("lite", 4)


def test_clean_inputs_are_the_papers_float_lr(clip: np.ndarray) -> None:
    hr = torch.from_numpy(clip).permute(0, 3, 1, 2).float().div(255)
    assert torch.equal(degrade_inputs(hr, 4, parse_degradation("clean")), degrade(hr, 4))


@needs_ffmpeg
def test_codec_degradation_lowers_lr_psnr(clip: np.ndarray) -> None:
    hr = torch.from_numpy(clip).permute(0, 3, 1, 2).float().div(255)
    clean = degrade_inputs(hr, 4, parse_degradation("clean"))
    quantised = torch.round(clean * 255) / 255  # what the codec starts from
    db = {
        spec: float(psnr(degrade_inputs(hr, 4, parse_degradation(spec)), clean).mean())
        for spec in ("x264:18", "x264:40")
    }
    assert float(psnr(quantised, clean).mean()) > 50 > db["x264:18"] > db["x264:40"]
    assert torch.equal(
        degrade_inputs(hr, 4, parse_degradation("x264:40")), degrade_inputs(hr, 4, parse_degradation("x264:40"))
    )


@needs_ffmpeg
def test_degraded_eval_scores_every_method(clip: np.ndarray, lite4: torch.nn.Module) -> None:
    clean = evaluate(lite4, clip, scale=4, time_factor=2, crop=2)
    coded = evaluate(lite4, clip, scale=4, time_factor=2, crop=2, degradation="x264:40", showcase=True)
    assert coded["config"]["degradation"] == "x264:40" and clean["config"]["degradation"] == "clean"
    assert list(coded["methods"]) == [*BASELINES, "sequential", "stvun-lite"]
    for name, res in coded["methods"].items():
        assert [res[g]["count"] for g in GROUPS] == [5, 4, 9], name
    for name in BASELINES:  # the same frames, from worse LR (a random-init model's scores mean nothing)
        assert coded["methods"][name]["all"]["psnr_y"] < clean["methods"][name]["all"]["psnr_y"] - 1, name
    assert set(margins(coded)) == {"centre", "intermediate"}
    shots = coded["showcase"]
    assert (shots["centre"]["frame"], shots["intermediate"]["frame"], shots["intermediate"]["t"]) == (4, 5, 0.5)
    assert set(shots["intermediate"]["images"]) == {*BASELINES, "sequential", "stvun-lite", "ground truth"}
    np.testing.assert_array_equal(shots["intermediate"]["images"]["ground truth"], clip[5, :64, :64])


def test_sequential_starts_from_the_models_centre_frames(clip: np.ndarray, lite4: torch.nn.Module) -> None:
    r = evaluate(lite4, clip, scale=4, time_factor=4, crop=2, showcase=True)
    seq, model = r["methods"]["sequential"], r["methods"]["stvun-lite"]
    assert seq["centre"] == model["centre"]
    assert seq["intermediate"]["count"] == model["intermediate"]["count"] == 6
    assert seq["intermediate"] != model["intermediate"] != r["methods"]["bicubic+DIS"]["intermediate"]
    images = r["showcase"]["centre"]["images"]
    np.testing.assert_array_equal(images["sequential"], images["stvun-lite"])
    # the interpolation itself: t = 0 is the first frame, and a pan is followed
    frames = torch.from_numpy(clip[[0, 2]]).permute(0, 3, 1, 2).float().div(255)
    state = Sequential().pair(frames[0], frames[1])
    assert torch.equal(Sequential().frame(state, 0.0), frames[0])
    middle = Sequential().frame(state, 0.5)[:, 8:-8, 8:-8]
    truth = torch.from_numpy(clip[1]).permute(2, 0, 1).float().div(255)[:, 8:-8, 8:-8]
    blend = (frames[0] + frames[1])[:, 8:-8, 8:-8] / 2
    assert float(psnr(middle, truth)) > float(psnr(blend, truth)) + 1


def test_showcase_input_avoids_cuts() -> None:
    assert showcase_input(9, [False] * 8) == 4
    assert showcase_input(9, [i in (3, 4) for i in range(8)]) == 5
    assert showcase_input(1, []) is None


def test_crops(tmp_path: Path) -> None:
    flat = np.full((40, 60, 3), 128, np.uint8)
    truth = flat.copy()
    truth[20:36, 36:52] = pan(1, 16, 16, cell=2)[0]  # the only detail
    y, x = detail_box(truth, 16)
    assert abs(y - 20) <= 1 and abs(x - 36) <= 1  # the patch (its edge's gradient spills 1 px out)
    assert detail_box(truth, 100) == (0, 0)  # larger than the frame: all of it
    path = tmp_path / "crop.png"
    assert side_by_side({"a": flat, "b": truth, "ground truth": truth}, "title", path, size=32, zoom=2) == detail_box(
        truth, 32
    )
    png = cv2.imread(str(path))
    assert png.shape[:2] == (32 * 2 + 80 + 8, 3 * 32 * 2 + 4 * 8)
    # the panels are the crops, pixel-exact, enlarged by repetition
    y, x = detail_box(truth, 32)
    panel = png[-8 - 64 : -8, 8 + 64 + 8 : 8 + 2 * 64 + 8, ::-1]
    np.testing.assert_array_equal(panel[::2, ::2], truth[y : y + 32, x : x + 32])
    from PIL import Image

    with Image.open(path) as image:
        assert image.mode == "RGB"  # matplotlib's opaque alpha channel dropped (charts.opaque_png)


def test_degrade_option() -> None:
    assert [str(d) for d in parse_degradations(None)] == ["clean"]
    assert [str(d) for d in parse_degradations(["clean,x264:28", "noise:2", "x264:28"])] == [
        "clean",
        "x264:28",
        "noise:2",
    ]
    with pytest.raises(SystemExit):
        main(["--video", "v.mp4", "--degrade", "jpeg:3", "--out", "o"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--frames", "0"], "--frames: must be >= 1"),
        (["--time-factor", "0"], "--time-factor: must be >= 1"),
        (["--crop", "-1"], "--crop: must be >= 0"),
        (["--device", "bogus"], "--device: "),
        (["--device", "cuda:7"] if not torch.cuda.is_available() else ["--device", "cuda:-"], "--device"),
    ],
)
def test_bad_options_are_refused_by_name(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as exit_:
        main(["--video", str(tmp_path), "--out", str(tmp_path / "o"), *options])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--video", "/nonexistent/clip.mp4"], "no such video"),
        (["--start", "99"], "outside the clip"),
        (["--temporal", "fuse", "--model", "lite"], "--temporal fuse needs weights with a fusion head"),
    ],
)
def test_bad_inputs_end_in_one_line(tmp_path, capsys, options, message):
    """Errors the arguments cannot show (the clip, the weights) end the run with one line, not a traceback."""
    clip = tmp_path / "clip"
    clip.mkdir()
    for i in range(3):
        cv2.imwrite(str(clip / f"{i:05d}.png"), np.zeros((16, 16, 3), np.uint8))
    args = ["--video", str(clip), "--out", str(tmp_path / "o"), "--model", "none", *options]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


@needs_ffmpeg
def test_cli_writes_one_folder_per_degradation(
    tmp_path: Path, clip: np.ndarray, lite_weights: Callable[[int], Path]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, f in enumerate(clip[:5]):
        cv2.imwrite(str(frames / f"{i:02d}.png"), f[..., ::-1])
    out = tmp_path / "out"
    args = ["--video", str(frames), "--name", "pan", "--model-path", str(lite_weights(4)), "--out", str(out)]
    assert main(args + ["--degrade", "clean", "--degrade", "x264:28"]) == 0
    for folder, spec in (("clean", "clean"), ("x264-28", "x264:28")):
        r = json.loads((out / folder / "eval.json").read_text())
        assert r["config"]["degradation"] == spec and r["config"]["clip"] == "pan"
        assert r["crops"]["intermediate"]["methods"] == ["bicubic+DIS", "sequential", "stvun-lite", "ground truth"]
        assert "pan, " + spec in (out / folder / "eval.md").read_text()


# --- temporal-path ablation ----------------------------------------------------------------------


def _lr_window(step: int) -> torch.Tensor:
    """7 LR frames (x4) of a texture panning ``step`` HR px left per frame: ``(7, 3, 16, 24)``."""
    hr = torch.from_numpy(pan(7, 64, 96, step=step, cell=8)).permute(0, 3, 1, 2).float().div(255)
    return degrade(hr, 4)


def test_ablation_dis_flow_is_in_lr_pixels(lite4: torch.nn.Module) -> None:
    """An 8 HR px pan is a 2 LR px flow X3 -> X4 (leftward: X4(p - 2) = X3(p)), wherever DIS runs."""
    from vsstvun.eval.ablation import variants

    window = _lr_window(8)
    for method in variants(lite4, ["dis-lr", "dis-hr"]):
        state = method.prepare(window)
        inner = (..., slice(4, -4), slice(4, -4))
        assert state.f34[0, 0][inner].median().item() == pytest.approx(-2.0, abs=0.3), method.name
        assert state.f43[0, 0][inner].median().item() == pytest.approx(2.0, abs=0.3), method.name
        assert state.f34[0, 1][inner].abs().median().item() < 0.3


def test_ablation_ensemble_and_sequential_variants(lite4: torch.nn.Module) -> None:
    from vsstvun.eval.ablation import variants
    from vsstvun.eval.methods import ModelMethod

    window = _lr_window(4)
    joint = ModelMethod(lite4)
    joint_state = joint.prepare(window)
    ensemble, seq_net = variants(lite4, ["ensemble", "seq-net"])
    e_state = ensemble.prepare(window)
    sequential = torch.from_numpy(e_state[1].at(0.5)).permute(2, 0, 1)
    torch.testing.assert_close(ensemble.frame(e_state, 0.5), (joint.frame(joint_state, 0.5) + sequential) / 2)
    s_state = seq_net.prepare(window)
    torch.testing.assert_close(seq_net.frame(s_state, 0.0), joint.frame(joint_state, 0.0))
    assert seq_net.frame(s_state, 0.5).shape == (3, 64, 96)
    with pytest.raises(ValueError, match="unknown variants"):
        variants(lite4, ["dis-lr", "magic"])


def test_ablation_cli_writes_the_summary(clip: np.ndarray, tmp_path: Path) -> None:
    from vsstvun.eval.ablation import main as ablation_main

    for i, frame in enumerate(clip[:5]):
        cv2.imwrite(str(tmp_path / f"{i:05d}.png"), frame[..., ::-1])
    out = tmp_path / "out"
    args = ["--video", str(tmp_path), "--name", "pan", "--out", str(out), "--variants", "occlusion,seq-net"]
    assert ablation_main(args) == 0
    table = (out / "summary.md").read_text().splitlines()
    assert table[0].split(" | ")[3:] == ["stvun-lite", "stvun occlusion", "stvun seq-net |"]
    assert table[2].startswith("| pan | clean | ")
    assert json.loads((out / "pan_clean.json").read_text())["config"]["clip"] == "pan"


# --- flow check ----------------------------------------------------------------------------------


def test_endpoint_errors_are_exact() -> None:
    from vsstvun.eval.flowcheck import endpoint_errors

    reference = torch.zeros(1, 2, 10, 10)
    reference[:, 0, :, :4] = 2.0  # 40 % of the pixels move 2 px, the rest stand still
    scores = endpoint_errors(reference + torch.tensor([3.0, 4.0]).view(1, 2, 1, 1), reference)
    assert scores == pytest.approx({"epe": 5.0, "epe_p95": 5.0, "epe_moving": 5.0, "moving_share": 0.4})
    wrong_only_where_still = reference.clone()
    wrong_only_where_still[:, 1, :, 4:] = 1.0
    scores = endpoint_errors(wrong_only_where_still, reference)
    assert scores["epe_moving"] == 0.0 and scores["epe"] == pytest.approx(0.6)
    assert np.isnan(endpoint_errors(reference, torch.zeros_like(reference))["epe_moving"])


def test_synthesize_takes_other_centre_features(lite4: torch.nn.Module) -> None:
    """The default reference is the centre pass's decoded features; passing them explicitly gives
    the same frame, and zeros give another one (what the flow check's centre-feature effect measures)."""
    from vsstvun.eval.flowcheck import centre_feature_effect

    with torch.no_grad():
        state = lite4.encode_window(_lr_window(4)[None])
        default = lite4.synthesize(state, 0.5)
        torch.testing.assert_close(lite4.synthesize(state, 0.5, centre_features=state.centre_decoded), default)
        assert centre_feature_effect(lite4, state) > 1e-4


def test_flowcheck_cli_scores_a_pan(tmp_path: Path) -> None:
    """A clean pan of 4 HR px per frame is 2 LR px per input pair (x4, time factor 2): every pixel
    moves, DIS on the bicubic input matches the HR reference closely, every pair is scored, and
    the two pairs with a whole window around them measure the centre-feature effect."""
    from vsstvun.eval.flowcheck import main as flowcheck_main

    for i, frame in enumerate(pan(15, 64, 64, step=4, cell=8)):
        cv2.imwrite(str(tmp_path / f"{i:05d}.png"), frame[..., ::-1])
    out = tmp_path / "out"
    assert flowcheck_main(["--video", str(tmp_path), "--name", "pan", "--out", str(out)]) == 0
    flows = json.loads((out / "pan_clean.json").read_text())["flows"]
    assert flows["stvun"]["pairs"] == flows["DIS on input"]["pairs"] == 7
    assert flows["DIS on input"]["moving_share"] == pytest.approx(1.0)
    assert flows["DIS on input"]["epe"] < 0.3
    assert flows["stvun"]["centre_effect"] > 0
    assert (out / "summary.md").read_text().splitlines()[2].startswith("| pan | clean | 7 | 100 % | ")


@pytest.fixture(scope="module")
def fused4() -> torch.nn.Module:
    """``lite`` x4 with a fusion head that does not merely average."""
    from vsstvun.model import build_model

    torch.manual_seed(0)
    model = build_model("lite", 4, fusion_ch=8)
    torch.nn.init.normal_(model.fusion.out.weight, std=0.05)
    return model


@pytest.mark.parametrize("temporal", ["warp", "fuse"])
def test_next_window_modes_score_the_models_own_frames(clip: np.ndarray, fused4: torch.nn.Module, temporal) -> None:
    """``temporal="warp"`` / ``"fuse"``: the model's centre frames are unchanged, its in-between
    frames are ``between`` of consecutive windows (the true next window, as in the filter),
    scored on the same frames."""
    joint = evaluate(fused4, clip, scale=4, time_factor=4, crop=2)
    other = evaluate(fused4, clip, scale=4, time_factor=4, crop=2, temporal=temporal, showcase=True)
    assert (joint["config"]["temporal"], other["config"]["temporal"]) == ("joint", temporal)
    model, joint_model = other["methods"]["stvun-lite"], joint["methods"]["stvun-lite"]
    assert model["centre"] == joint_model["centre"] and model["intermediate"]["count"] == 6
    assert model["intermediate"] != joint_model["intermediate"]
    assert other["methods"]["sequential"] == joint["methods"]["sequential"] | {"seconds": ANY}
    # the showcase in-between frame (between inputs 1 and 2, t = 0.5): the direct call on their windows
    lr = degrade_inputs(torch.from_numpy(clip[::4]).permute(0, 3, 1, 2).float().div(255), 4, parse_degradation("clean"))
    with torch.inference_mode():
        states = [fused4.encode_window(lr[window_positions(k, 3, [False, False])][None]) for k in (1, 2)]
        direct = fused4.between(*states, 0.5, temporal)[0]
    shown = other["showcase"]["intermediate"]
    assert shown["frame"] == 6
    np.testing.assert_array_equal(shown["images"]["stvun-lite"], _to_uint8_hwc(direct))


def test_temporal_mode_is_checked(clip: np.ndarray, lite4: torch.nn.Module) -> None:
    with pytest.raises(ValueError, match="temporal must be one of"):
        evaluate(lite4, clip, temporal="fast")
    with pytest.raises(ValueError, match="needs a model with a fusion head"):
        evaluate(lite4, clip, temporal="fuse")


def test_compare_script_ranks_the_models(tmp_path: Path) -> None:
    """``scripts/eval_compare.py --models``: one column per folder, margins over bicubic (centre)
    and over the best baseline including each model's own sequential (in-between), best in bold."""
    import subprocess
    import sys

    def write(model: str, centre: float, between: float, sequential: float) -> Path:
        folder = tmp_path / model
        methods = {
            "bicubic+blend": {"centre": {"psnr_y": 30.0}, "intermediate": {"psnr_y": 27.0}},
            "bicubic+DIS": {"centre": {"psnr_y": 30.0}, "intermediate": {"psnr_y": 28.0}},
            "sequential": {"centre": {"psnr_y": centre}, "intermediate": {"psnr_y": sequential}},
            f"stvun-{model}": {"centre": {"psnr_y": centre}, "intermediate": {"psnr_y": between}},
        }
        path = folder / "clip_t2" / "x264-28" / "eval.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"config": {"degradation": "x264:28"}, "methods": methods}))
        return folder

    folders = [write("a", 31.0, 28.5, 28.2), write("b", 31.5, 28.1, 28.4)]
    script = Path(__file__).resolve().parents[1] / "scripts" / "eval_compare.py"
    out = subprocess.run([sys.executable, script, "--models", *map(str, folders)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    header, _, row = out.stdout.splitlines()
    assert header.startswith("| clip / time | LR | centre: a | centre: b | in-between: a | in-between: b |")
    assert row == "| clip_t2 | x264:28 | +1.00 | **+1.50** | **+0.30** | -0.30 |"


def test_significant_rounds_every_float_and_nothing_else() -> None:
    from vsstvun.eval.report import significant

    data = {"a": 39.197498741485, "b": [0.9691811330535556, 125, "x"], "c": {"d": 1e-9 / 3, "e": True}}
    assert significant(data) == {"a": 39.1975, "b": [0.969181, 125, "x"], "c": {"d": 3.33333e-10, "e": True}}


def test_pan_truth_lies_halfway_between_x3_and_x4() -> None:
    pytest.importorskip("skimage.data")
    from vsstvun.eval.pancheck import STEP, pan_window

    frames, truth = pan_window()
    half = STEP // 2
    assert frames.shape == (8, 3, 192, 192)
    assert torch.equal(truth[..., :-half], frames[3][..., half:])
    assert torch.equal(truth[..., half:], frames[4][..., :-half])


def test_pancheck_prints_both_margins_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from vsstvun.eval.pancheck import main as pancheck
    from vsstvun.model import build_model
    from vsstvun.model.checkpoint import save_checkpoint

    torch.manual_seed(0)
    path = str(save_checkpoint(build_model("lite", 2, fusion_ch=8, fusion_dis=True), tmp_path / "head.safetensors"))
    pancheck([path, path])
    line = re.escape(path) + r": fused - joint [+-]\d+\.\d\d dB, fused - sequential [+-]\d+\.\d\d dB"
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1] and re.fullmatch(line, lines[0])
