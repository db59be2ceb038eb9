"""Training loop: both stages run, logs, exports, resumes and is deterministic; the teacher flow."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from test_data import write_pan_clip

from vsstvun.eval.methods import upscale_bicubic
from vsstvun.eval.metrics import psnr_y
from vsstvun.model import build_model
from vsstvun.model.checkpoint import load_checkpoint, save_checkpoint
from vsstvun.train import TrainConfig, train
from vsstvun.train.loop import _lr_at, init_from, model_overrides, saved_step
from vsstvun.train.losses import (
    LossWeights,
    batch_window,
    flow_loss,
    frame_psnr_loss,
    full_loss,
    fusion_loss,
    hr_warp_loss,
    pyramid_teacher_loss,
)
from vsstvun.train.plot import (
    events,
    label_rows,
    loss_axis,
    plot_log,
    plot_validation,
    run_name,
    validation_points,
)
from vsstvun.train.teacher import dis_flow_lr
from vsstvun.train.validate import ValidationSet, validate

ROOT = Path(__file__).resolve().parents[1]


def _batches(n: int, seed: int = 0, scale: int = 4, lr_side: int = 16):
    g = torch.Generator().manual_seed(seed)
    hr = lr_side * scale
    out = []
    for _ in range(n):
        out.append(
            {
                "lr": torch.rand(2, 8, 3, lr_side, lr_side, generator=g),
                "hr_centre": torch.rand(2, 3, hr, hr, generator=g),
                "hr_next": torch.rand(2, 3, hr, hr, generator=g),
                "ts": torch.rand(2, 1, generator=g) * 0.8 + 0.1,
                "hr_t": torch.rand(2, 1, 3, hr, hr, generator=g),
                "lr_t": torch.rand(2, 1, 3, lr_side, lr_side, generator=g),
            }
        )
    return out


def _cfg(tmp_path, **kw) -> TrainConfig:
    base = dict(
        out_dir=tmp_path,
        stage1_iters=2,
        stage2_iters=3,
        batch_size=2,
        log_every=1,
        save_every=2,
        weights=LossWeights(teacher=0.1),
    )
    base.update(kw)
    return TrainConfig(**base)


def _initialised_only(tmp_path, **kw) -> TrainConfig:
    """One flow-only step at a negligible learning rate: the exported file shows the initialisation."""
    return _cfg(tmp_path / "run", stage1_iters=0, stage2_iters=1, flow_only=True, lr=1e-9, min_lr=1e-9, **kw)


def _log(path):
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_two_stages_log_and_export(tmp_path):
    out = train(_cfg(tmp_path, data={"patch": 64, "strides": [2, 4]}), _batches(4))
    recorded = json.loads((tmp_path / "config.json").read_text())
    assert recorded["data"] == {"patch": 64, "strides": [2, 4]} and recorded["stage2_iters"] == 3
    log = _log(tmp_path)
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5]
    assert [r["stage"] for r in log] == [1, 1, 2, 2, 2]
    assert {"L_S", "L_F", "L_M", "L_T"} <= set(log[-1])
    # Logs are committed (docs/training): losses and rates keep six significant digits, not 17.
    assert all(v == float(f"{v:.6g}") for r in log for v in r.values() if isinstance(v, float))
    model = load_checkpoint(out)
    assert model.config.preset == "lite" and model.scale == 4
    assert (tmp_path / "last.pt").is_file()


@pytest.mark.slow
def test_resume_continues_and_seed_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    train(_cfg(a), _batches(5))
    train(_cfg(b, stage2_iters=1), _batches(5))  # stops at step 3 ...
    train(_cfg(b), _batches(5)[3:])  # ... and resumes to step 5 with the batches that were next
    la, lb = _log(a), _log(b)
    assert [r["step"] for r in lb] == [1, 2, 3, 4, 5]
    assert la[0]["loss"] == lb[0]["loss"]
    assert la[-1]["loss"] == pytest.approx(lb[-1]["loss"], rel=1e-4)


@pytest.mark.slow
def test_training_reduces_loss_on_a_fixed_batch(tmp_path):
    """Targets that are a smooth function of the inputs (the model's own bilinear base of them,
    the blend of X3 and X4 in between) can be learnt: every term falls, the spatial one fastest."""
    b = _batches(1)[0]
    up = build_model("lite").base
    b["lr_t"] = ((b["lr"][:, 3] + b["lr"][:, 4]) / 2)[:, None]
    b["hr_centre"] = up(b["lr"][:, 3])
    b["hr_t"] = up(b["lr_t"][:, 0])[:, None]
    train(_cfg(tmp_path, stage1_iters=0, stage2_iters=30, lr=1e-3, save_every=100, weights=LossWeights()), [b])
    first, last = _log(tmp_path)[0], _log(tmp_path)[-1]
    assert last["L_S"] < 0.3 * first["L_S"]
    assert last["loss"] < 0.9 * first["loss"]
    assert last["L_F"] < first["L_F"] and last["L_M"] < first["L_M"]


def test_init_from_another_preset_is_refused(tmp_path):
    src = save_checkpoint(build_model("base", 4), tmp_path / "base.safetensors")
    with pytest.raises(ValueError, match="holds a 'base' network and this run trains 'lite'"):
        init_from(build_model("lite", 4), src)


def test_init_from_other_scale_keeps_all_but_the_head(tmp_path):
    src = save_checkpoint(build_model("lite", 4), tmp_path / "x4.safetensors")
    model = build_model("lite", 2)
    skipped = init_from(model, src)
    assert skipped == ["decoder.rconv1.weight", "decoder.rconv1.bias"]
    ref = load_checkpoint(src).state_dict()
    assert torch.equal(model.state_dict()["encoder.conv.0.weight"], ref["encoder.conv.0.weight"])


@pytest.mark.slow
def test_init_flow_takes_only_the_flow_net(tmp_path):
    torch.manual_seed(0)
    body = save_checkpoint(build_model("lite", 2), tmp_path / "x2.safetensors")
    flow = save_checkpoint(build_model("lite", 4), tmp_path / "x4.safetensors")
    out = train(_initialised_only(tmp_path, init=body, init_flow=flow, scale=2), _batches(1, scale=2))
    got, b, f = (load_checkpoint(p).state_dict() for p in (out, body, flow))
    for key in ("pwcnet.conv1a.0.weight", "pwcnet.predict_flow2.weight"):
        assert torch.allclose(got[key], f[key], atol=1e-3) and not torch.allclose(got[key], b[key], atol=1e-3)
    assert torch.allclose(got["encoder.conv.0.weight"], b["encoder.conv.0.weight"], atol=1e-3)


def test_full_loss_parts():
    torch.manual_seed(0)
    model = build_model("lite")
    batch = _batches(1)[0]
    loss, parts = full_loss(model, batch, LossWeights())
    assert loss.requires_grad
    assert parts["loss"] == pytest.approx(parts["L_S"] + parts["L_F"] + parts["L_M"], rel=1e-5)
    # psnr=True: the HR frames score minus their PSNR; the LR warp (L_M) stays the same L1
    _, scored = full_loss(model, batch, LossWeights(), psnr=True)
    with torch.no_grad():
        centre = model.synthesize(model.encode_window(batch_window(batch["lr"])), 0.0, clamp=False)
    assert scored["L_S"] == pytest.approx(float(frame_psnr_loss(centre, batch["hr_centre"])), abs=1e-4)
    assert scored["L_S"] < 0 < parts["L_S"] and scored["L_M"] == pytest.approx(parts["L_M"], rel=1e-5)


def test_dis_teacher_recovers_a_translation():
    rng = np.random.default_rng(0)
    tex = torch.from_numpy(rng.random((3, 96, 112), dtype=np.float32))
    tex = torch.nn.functional.avg_pool2d(tex[None], 3, 1, 1)[0]  # smooth texture DIS can track
    shift = 8  # HR pixels to the right: frame 4 = frame 3 moved right
    hr3 = tex[:, :, 8:104][None]
    hr4 = tex[:, :, 8 - shift : 104 - shift][None]
    f34, f43 = dis_flow_lr(hr3, hr4, scale=4)
    assert f34.shape == (1, 2, 24, 24)
    inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    assert float(f34[inner][:, 0].median()) == pytest.approx(shift / 4, abs=0.25)
    assert float(f43[inner][:, 0].median()) == pytest.approx(-shift / 4, abs=0.25)


@pytest.mark.slow
def test_flow_only_stage_touches_only_the_flow_net(tmp_path):
    init = save_checkpoint(build_model("lite"), tmp_path / "init.safetensors")
    fast = dict(stage1_iters=0, stage2_iters=3, init=init, lr=1e-2, min_lr=1e-2)
    out = train(_cfg(tmp_path / "run", flow_only=True, weights=LossWeights(teacher=0.1, warp=1.0), **fast), _batches(3))
    before, after = load_checkpoint(init).state_dict(), load_checkpoint(out).state_dict()
    changed = {k.split(".")[0] for k in before if not torch.allclose(before[k], after[k], atol=1e-3)}
    assert changed == {"pwcnet"}  # the HR warp loss reads the other parts' frames, never trains them
    log = _log(tmp_path / "run")
    assert {"L_M", "L_T", "L_W"} <= set(log[-1]) and "L_S" not in log[-1]
    with pytest.raises(ValueError, match="use it with --flow-only"):
        train(_cfg(tmp_path / "joint", weights=LossWeights(warp=1.0)), _batches(1))


def test_hr_warp_loss_is_small_for_the_true_motion_and_reaches_only_the_flows():
    """A sine panning 2 LR px per frame, with the decoder's residual switched off (space-only
    frames = the bilinear upsample of the LR frame): at t = 1/2 the true flows +-2 move both
    neighbours by a whole LR pixel onto the target (the upsampled frame of the sine at time 3.5),
    exact but for the replicated borders; zero flows blend two sines a quarter period apart.
    Gradients reach the flows and no weight."""
    from vsstvun.model.stvun import upsample_aligned

    torch.manual_seed(0)
    model = build_model("lite", 4).eval()
    model.decoder.rconv1.weight.data.zero_()
    model.decoder.rconv1.bias.data.zero_()
    d, h, w, t = 2.0, 16, 24, 0.5

    def frame(time: float) -> torch.Tensor:
        x = torch.arange(w, dtype=torch.float32)
        return (0.4 + 0.2 * torch.sin(2 * torch.pi * (x - time * d) / 8)).expand(3, h, w)

    lr = torch.stack([frame(k) for k in range(8)])[None]
    hr_t = upsample_aligned(frame(3 + t)[None], 4)[:, None]
    batch = {"lr": lr, "ts": torch.full((1, 1), t), "hr_t": hr_t}
    motion = torch.zeros(1, 2, h, w)
    motion[:, 0] = d
    true = [motion.clone().requires_grad_(), (-motion).requires_grad_()]
    loss = hr_warp_loss(model, batch, *true)
    still = hr_warp_loss(model, batch, torch.zeros(1, 2, h, w), torch.zeros(1, 2, h, w))
    assert loss.item() < still.item() / 5  # the borders, where both sides replicate, keep some error
    loss.backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in true)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.slow
def test_freeze_flow_trains_all_but_the_flow_net(tmp_path):
    init = save_checkpoint(build_model("lite"), tmp_path / "init.safetensors")
    out = train(
        _cfg(
            tmp_path / "run",
            stage1_iters=0,
            stage2_iters=3,
            freeze_flow=True,
            init=init,
            lr=1e-2,
            min_lr=1e-2,
            flow_upsample=4,
        ),
        _batches(3),
    )
    assert load_checkpoint(out).config.flow_upsample == 4  # the override is recorded in the file
    before, after = load_checkpoint(init).state_dict(), load_checkpoint(out).state_dict()
    changed = {k.split(".")[0] for k in before if not torch.allclose(before[k], after[k], atol=1e-3)}
    assert "pwcnet" not in changed and {"encoder", "efst", "decoder"} <= changed
    log = _log(tmp_path / "run")
    assert {"L_S", "L_F", "L_M"} <= set(log[-1]) and "L_T" not in log[-1]  # no teacher for a frozen net
    with pytest.raises(ValueError, match="exclude each other"):
        train(_cfg(tmp_path / "both", flow_only=True, freeze_flow=True), _batches(1))


@pytest.mark.slow
def test_flow_lr_scale_gives_the_flow_net_its_share_of_the_rate(tmp_path):
    """End-to-end training with the flow net at a share of the rate: at 0 it stays as it was
    while the rest trains; at 1 (one optimiser group, as before the option) it moves too."""
    init = save_checkpoint(build_model("lite"), tmp_path / "init.safetensors")
    before = load_checkpoint(init).state_dict()
    moved = {}
    for share in (0.0, 1.0):
        run = tmp_path / f"share{share}"
        cfg = _cfg(run, stage1_iters=0, stage2_iters=2, init=init, lr=1e-2, min_lr=1e-2, flow_lr_scale=share)
        after = load_checkpoint(train(cfg, _batches(2))).state_dict()
        moved[share] = {k.split(".")[0] for k in before if not torch.allclose(before[k], after[k], atol=1e-3)}
        groups = torch.load(run / "last.pt", weights_only=True)["optim"]["param_groups"]
        assert len(groups) == (2 if share != 1.0 else 1)
        assert groups[-1]["lr"] == pytest.approx(1e-2 * share)
    assert "pwcnet" not in moved[0.0] and {"encoder", "efst", "decoder"} <= moved[0.0]
    assert "pwcnet" in moved[1.0]
    # Resumed with another share: the run's own one applies, and going from one group to two
    # says which option to pass instead of torch's bare group-count error.
    longer = dict(stage1_iters=0, stage2_iters=3, init=init, lr=1e-2, min_lr=1e-2)
    train(_cfg(tmp_path / "share0.0", flow_lr_scale=0.5, **longer), _batches(3))
    groups = torch.load(tmp_path / "share0.0" / "last.pt", weights_only=True)["optim"]["param_groups"]
    assert groups[-1]["lr"] == pytest.approx(5e-3)
    with pytest.raises(ValueError, match="the flags it was started with .*--flow-lr-scale"):
        train(_cfg(tmp_path / "share1.0", flow_lr_scale=0.5, **longer), _batches(3))
    for bad in (dict(freeze_flow=True), dict(flow_only=True), dict()):
        with pytest.raises(ValueError, match="flow_lr_scale"):
            train(_cfg(tmp_path / "bad", flow_lr_scale=-1.0 if not bad else 0.1, **bad), _batches(1))


@pytest.mark.slow
def test_fusion_extra_lr_scale_speeds_up_the_late_candidates_alone(tmp_path):
    """``fusion_only`` on a head with late candidates (``fusion_base``, ``fusion_splat``,
    ``fusion_still``): their six convs form an optimiser group of their own at ``fusion_extra_lr_scale`` times the rate,
    trained on minus each frame's PSNR (``psnr``); the rest of the head keeps the base rate."""
    init = save_checkpoint(build_model("lite", 4, fusion_ch=8, fusion_dis=True), tmp_path / "init.safetensors")
    cfg = _cfg(
        tmp_path / "run",
        stage1_iters=0,
        stage2_iters=2,
        init=init,
        lr=1e-3,
        min_lr=1e-3,
        fusion_ch=8,
        fusion_dis=True,
        fusion_base=True,
        fusion_splat=True,
        fusion_still=True,
        fusion_only=True,
        psnr=True,
        fusion_extra_lr_scale=10.0,
    )
    out = load_checkpoint(train(cfg, _batches(2)))
    groups = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["optim"]["param_groups"]
    assert [g["lr"] for g in groups] == [pytest.approx(1e-3), pytest.approx(1e-2)]
    assert len(groups[1]["params"]) == 12  # weight and bias of two convs per late group
    assert out.config.fusion_base and out.config.fusion_splat and out.config.fusion_still
    for conv in (out.fusion.extra_out, out.fusion.splat_out, out.fusion.still_out):
        assert conv.weight.abs().max() > 1e-3  # left its zero start
    assert _log(tmp_path / "run")[-2]["L_F"] < 0  # minus a PSNR in dB
    # A share the run cannot honour fails by name: a negative one, one without fusion_only, one
    # for a head with no soft candidates (its convs would otherwise silently get the base rate).
    settings = dict(stage1_iters=0, stage2_iters=1, init=init, fusion_ch=8, fusion_dis=True)
    for bad in (
        dict(fusion_base=True, fusion_only=True, fusion_extra_lr_scale=-1.0),
        dict(fusion_base=True, fusion_extra_lr_scale=10.0),
        dict(fusion_base=False, fusion_only=True, fusion_extra_lr_scale=10.0),
    ):
        with pytest.raises(ValueError, match="fusion_extra_lr_scale"):
            train(_cfg(tmp_path / "bad", **settings, **bad), _batches(1))


def test_pyramid_teacher_loss_is_zero_for_matching_coarse_flows():
    teacher = torch.randn(2, 2, 32, 48)
    coarse = [torch.nn.functional.adaptive_avg_pool2d(teacher, (32 >> k, 48 >> k)) for k in (4, 3, 2, 1)]
    assert float(pyramid_teacher_loss(coarse, teacher)) == pytest.approx(0.0, abs=1e-5)
    coarse[0] = coarse[0] + 1  # one LR pixel off on the coarsest level only
    assert float(pyramid_teacher_loss(coarse, teacher)) == pytest.approx(1 / 4, rel=1e-4)


def test_flow_loss_pyramid_term_trains_the_coarse_levels():
    torch.manual_seed(0)
    model = build_model("lite")
    batch = _batches(1, lr_side=32)[0]
    teacher = (torch.randn(2, 2, 32, 32), torch.randn(2, 2, 32, 32))
    _, plain = flow_loss(model, batch, LossWeights(teacher=0.1), teacher)
    loss, parts = flow_loss(model, batch, LossWeights(teacher=0.1, pyramid=0.5), teacher)
    assert "L_P" not in plain and parts["L_P"] > 0
    assert parts["loss"] == pytest.approx(plain["loss"] + 0.5 * parts["L_P"], rel=1e-5)
    loss.backward()
    assert model.pwcnet.predict_flow6.weight.grad.abs().sum() > 0


@pytest.mark.slow
def test_reset_flow_restarts_only_the_flow_net(tmp_path):
    torch.manual_seed(0)
    trained = build_model("lite")
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.5)  # stand-in for trained weights: every bias non-zero
    init = save_checkpoint(trained, tmp_path / "init.safetensors")
    out = train(_initialised_only(tmp_path, init=init, reset_flow=True), _batches(1))
    got, ref = load_checkpoint(out).state_dict(), load_checkpoint(init).state_dict()
    assert got["pwcnet.conv1a.0.bias"].abs().max() < 1e-3  # He init: zero biases
    assert not torch.allclose(got["pwcnet.conv1a.0.weight"], ref["pwcnet.conv1a.0.weight"], atol=1e-2)
    assert torch.allclose(got["encoder.conv.0.bias"], ref["encoder.conv.0.bias"], atol=1e-3)


def _luma_offset_psnr(offset: float) -> float:
    """PSNR-Y (dB) of an image against itself plus ``offset`` on every RGB channel."""
    return -20 * np.log10(offset * (65.481 + 128.553 + 24.966) / 255)


def test_validation_scores_the_centre_and_in_between_frames_against_bicubic():
    torch.manual_seed(0)
    model = build_model("lite", 4).eval()
    batches = _batches(2, lr_side=24)
    with torch.no_grad():
        for b in batches:
            state = model.encode_window(b["lr"][:, :7])
            b["hr_centre"] = model.synthesize(state, 0.0) + 0.01
            b["hr_t"] = model.synthesize(state, b["ts"].view(-1, 1, 1, 1))[:, None] + 0.02
    val = ValidationSet.build(batches, 4)
    model.train()
    scores = validate(model, val)
    assert model.training  # the mode it found
    assert scores["val_centre"] == pytest.approx(_luma_offset_psnr(0.01), abs=1e-3)
    assert scores["val_between"] == pytest.approx(_luma_offset_psnr(0.02), abs=1e-3)
    assert scores["val_centre_gain"] == pytest.approx(scores["val_centre"] - val.bicubic_centre, abs=1e-3)
    assert scores["val_between_gain"] == pytest.approx(scores["val_between"] - val.bicubic_between, abs=1e-3)
    # The baselines: grid-aligned bicubic of X3 at t = 0, of the X3/X4 blend in between.
    for b in batches:
        x3, x4, t = b["lr"][:, 3], b["lr"][:, 4], b["ts"].view(-1, 1, 1, 1)
        up = [torch.from_numpy(upscale_bicubic(x, 4)).permute(2, 0, 1) for x in (1 - t) * x3 + t * x4]
        b["hr_t"] = torch.stack(up)[:, None] + 0.01
        b["hr_centre"] = torch.stack([torch.from_numpy(upscale_bicubic(x, 4)).permute(2, 0, 1) for x in x3]) + 0.02
    val = ValidationSet.build(batches, 4)
    assert val.bicubic_between == pytest.approx(_luma_offset_psnr(0.01), abs=1e-3)
    assert val.bicubic_centre == pytest.approx(_luma_offset_psnr(0.02), abs=1e-3)


@pytest.mark.slow
def test_training_validates_the_starting_weights_and_each_save(tmp_path):
    val = ValidationSet.build(_batches(1, seed=7), 4)
    a, b = tmp_path / "a", tmp_path / "b"
    train(_cfg(a, stage2_iters=1), _batches(5), val)  # stops at step 3 ...
    train(_cfg(a), _batches(5)[3:], val)  # ... resumes to step 5: step 3 is scored already
    train(_cfg(b, stage2_iters=1), _batches(5))  # without validation to step 3 ...
    assert saved_step(b) == 3 and saved_step(tmp_path / "none") == 0  # where the caller's batches resume
    train(_cfg(b), _batches(5)[3:], val)  # ... resumed with it: the resumed weights get a score first

    def scored(run):
        return [(r["step"], r["stage"]) for r in _log(run) if "val_centre" in r]

    assert scored(a) == [(0, 1), (2, 1), (3, 2), (4, 2), (5, 2)]
    assert scored(b) == [(3, 2), (4, 2), (5, 2)]
    assert [r["step"] for r in _log(a) if "loss" in r] == [1, 2, 3, 4, 5]
    # Same weights, same windows: the same score whichever run computed it.
    assert [r["val_centre"] for r in _log(a) if r["step"] == 5 and "val_centre" in r] == [
        r["val_centre"] for r in _log(b) if r["step"] == 5 and "val_centre" in r
    ]


def test_model_overrides_given_or_kept_from_the_resumed_run(tmp_path):
    saved = {"config": json.dumps(build_model("lite", align_centre=True).config.to_dict())}
    assert model_overrides(_cfg(tmp_path), None) == {}
    assert model_overrides(_cfg(tmp_path, flow_upsample=4), None) == {"flow_upsample": 4}
    # Resumed: a flag left out keeps the run's own value; one given wins.
    kept = {
        "flow_upsample": 2,
        "align_centre": True,
        "flow_refine": 0,
        "fusion_ch": 0,
        "fusion_dis": False,
        "fusion_split": False,
        "fusion_consistency": False,
        "fusion_base": False,
        "fusion_splat": False,
        "fusion_still": False,
    }
    assert model_overrides(_cfg(tmp_path), saved) == kept
    assert model_overrides(_cfg(tmp_path, align_centre=False), saved)["align_centre"] is False
    refined = {"config": json.dumps(build_model("lite", flow_refine=9).config.to_dict())}
    assert model_overrides(_cfg(tmp_path), refined)["flow_refine"] == 9
    assert model_overrides(_cfg(tmp_path, flow_refine=0), refined)["flow_refine"] == 0
    fused = {"config": json.dumps(build_model("lite", fusion_ch=8, fusion_dis=True).config.to_dict())}
    assert {k: model_overrides(_cfg(tmp_path), fused)[k] for k in ("fusion_ch", "fusion_dis")} == {
        "fusion_ch": 8,
        "fusion_dis": True,
    }
    # The head's width and inputs shape its weights: a resume that changes them is refused by name.
    assert model_overrides(_cfg(tmp_path, fusion_ch=8, fusion_dis=True), fused)["fusion_ch"] == 8
    shaping = dict(
        fusion_split=True,
        fusion_ch=16,
        fusion_dis=False,
        fusion_consistency=True,
        fusion_base=True,
        fusion_splat=True,
        fusion_still=True,
    )
    for changed in ({k: v} for k, v in shaping.items()):
        with pytest.raises(ValueError, match=f"started with {next(iter(changed))}="):
            model_overrides(_cfg(tmp_path, **changed), fused)


@pytest.mark.slow
def test_resuming_without_the_flag_keeps_align_centre(tmp_path):
    train(_cfg(tmp_path, stage2_iters=1, align_centre=True), _batches(5))
    out = train(_cfg(tmp_path), _batches(5)[3:])
    assert load_checkpoint(out).config.align_centre


def test_loss_plot_names_the_run_and_marks_stages_and_resumes(tmp_path):

    recs = [
        {"step": 10, "stage": 1, "elapsed_s": 5.0, "L_S": 0.1},
        {"step": 20, "stage": 1, "elapsed_s": 9.0, "L_S": 0.09},
        {"step": 30, "stage": 2, "elapsed_s": 14.0, "L_S": 0.08, "L_M": 0.02},
        {"step": 40, "stage": 2, "elapsed_s": 3.0, "L_S": 0.07, "L_M": 0.02},  # clock restarted: resumed
        {"step": 50, "stage": 2, "elapsed_s": 8.0, "L_S": 0.06, "L_M": 0.01},
    ]
    assert events(recs) == [(20, "stage 2"), (30, "resumed")]
    run = tmp_path / "lite_x4"
    run.mkdir()
    log = run / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert run_name(log) == "lite_x4"
    assert run_name(tmp_path / "lite_x2_flow_log.jsonl") == "lite_x2_flow"
    out = plot_log(log, tmp_path / "loss.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # L1 on a log axis; minus a PSNR (train --psnr) is negative, so a linear one.
    assert loss_axis(0.01) == ("L1 loss (logged batches, running mean)", "log")
    assert loss_axis(-35.0)[1] == "linear" and "minus PSNR, dB" in loss_axis(-35.0)[0]
    # Validation records: a second axis; a step rescored after a resume keeps its last score.
    val = [
        {"step": 0, "stage": 1, "elapsed_s": 0.1, "val_centre_gain": 0.5, "val_between_gain": -0.2},
        {"step": 50, "stage": 2, "elapsed_s": 9.0, "val_centre_gain": 0.7, "val_between_gain": 0.1},
        {"step": 50, "stage": 2, "elapsed_s": 0.2, "val_centre_gain": 0.8, "val_between_gain": 0.1},
    ]
    assert validation_points(val, "val_centre_gain") == [(0, 0.5), (50, 0.8)]
    log.write_text("".join(json.dumps(r) + "\n" for r in [val[0], *recs, *val[1:]]))
    assert plot_log(log, out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_validation(ax, recs) is None  # no validation records: no second axis
    right = plot_validation(ax, val)
    assert len(fig.axes) == 2 and right.get_ylabel().endswith("(dB)")
    centre, between = right.get_lines()
    assert list(centre.get_xdata()) == [0, 50] and list(centre.get_ydata()) == [0.5, 0.8]
    assert list(between.get_ydata()) == [-0.2, 0.1]
    plt.close(fig)


def test_close_event_labels_step_down():
    assert label_rows([100, 830, 910], span=1500) == [0, 0, 1]
    assert label_rows([100, 110, 120, 900], span=1000) == [0, 1, 2, 0]
    assert label_rows([], span=10) == []


def test_a_run_killed_while_saving_keeps_its_last_checkpoint(tmp_path, monkeypatch):
    """The second save dies half-way through writing (as when a session ends mid-save): last.pt
    still holds the first save's step and loads, and a resume starts from there."""
    real_save = torch.save
    calls = []

    def dying_save(obj, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            with open(path, "wb") as f:
                f.write(b"\x80\x02half a checkpoint")
            raise KeyboardInterrupt
        real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path), _batches(5))
    monkeypatch.setattr(torch, "save", real_save)
    assert saved_step(tmp_path) == 2
    assert torch.load(tmp_path / "last.pt", weights_only=True)["step"] == 2


def test_lr_over_minutes_ends_the_cosine_when_the_slot_does(tmp_path):
    cfg = TrainConfig(tmp_path, stage1_iters=10, stage2_iters=1000, lr=1e-3, min_lr=1e-5, max_minutes=4.0)
    timed = dataclasses.replace(cfg, lr_over_minutes=True)
    assert _lr_at(cfg, 20, minutes=4.0) == _lr_at(timed, 20, minutes=0.0) > 9.9e-4  # by iterations
    assert _lr_at(timed, 20, minutes=2.0) == pytest.approx((1e-3 + 1e-5) / 2)  # half the slot: half way down
    assert _lr_at(timed, 20, minutes=4.0) == pytest.approx(1e-5)
    assert _lr_at(timed, 5, minutes=3.0) == 1e-3  # stage 1 stays constant
    assert _lr_at(timed, 1010, minutes=0.1) == pytest.approx(1e-5)  # iterations ending first still end it


def test_a_rate_below_the_cosines_end_is_refused(tmp_path):
    """--lr under the default --min-lr (2e-5) would make the "decay" climb from lr to min_lr."""
    assert _lr_at(TrainConfig(tmp_path, stage1_iters=0, lr=1e-5), 1000) > 1e-5  # what it would train with
    with pytest.raises(ValueError, match="lr=1e-05 is below min_lr=2e-05.*pass --min-lr"):
        train(_cfg(tmp_path, stage1_iters=0, lr=1e-5), _batches(1))
    assert not (tmp_path / "last.pt").exists()


@pytest.mark.slow  # three training steps and an export
def test_waiting_for_the_first_batch_is_not_training_time(tmp_path, monkeypatch):
    """The first batch is when the DataLoader starts its workers (a minute on a GPU machine): that
    wait must not eat the --max-minutes slot, or a one-minute run would end after its first step.
    A fake clock makes the wait ten minutes and the steps instantaneous."""
    clock = types.SimpleNamespace(now=0.0)
    clock.monotonic = lambda: clock.now
    monkeypatch.setattr("vsstvun.train.loop.time", clock)

    def slow_start():
        clock.now += 600
        yield from _batches(3)

    cfg = _cfg(tmp_path, stage1_iters=0, stage2_iters=3, save_every=100, max_minutes=1.0, weights=LossWeights())
    train(cfg, slow_start())
    assert saved_step(tmp_path) == 3


@pytest.mark.slow  # about 25 s: two spawned DataLoader workers importing torch, and x264 round trips
def test_cli_trains_with_dataloader_workers(tmp_path):
    """Forked DataLoader workers hung on their first window (a lent H200 sat 390 s at step 0; here
    too, with validation and codecs off as well): they inherit the main process's thread pools
    mid-state after it has loaded the weights and the data. Spawned workers start clean."""
    clip = write_pan_clip(tmp_path / "clip.mp4", 60, 96)
    args = ["--out", str(tmp_path / "run"), "--preset", "lite", "--source", str(clip), "--patch", "64"]
    args += ["--stage1-iters", "0", "--stage2-iters", "2", "--batch-size", "2", "--workers", "2", "--val", "2"]
    args += ["--real", "1.0", "--codecs", "x264", "--device", "cpu", "--threads", "1", "--save-every", "1000"]
    done = subprocess.run(
        [sys.executable, "-m", "vsstvun.train", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [r["step"] for r in _log(tmp_path / "run") if "val_centre" in r] == [0, 2]


def test_fusion_loss_reaches_the_head_and_not_the_windows():
    """The fusion stage's loss is the L1 (or minus the PSNR) of the fused frames. Its two windows are encoded without
    gradients, so even unfrozen the encoder, EFST and flow net get none; the head does (the
    loop's ``fusion_only`` freezes the decoder, which the joint candidate runs, as well)."""
    torch.manual_seed(0)
    model = build_model("lite", 4, fusion_ch=8)
    batch = _batches(1)[0]
    loss, parts = fusion_loss(model, batch)
    with torch.no_grad():
        state = model.encode_window(batch["lr"][:, :7])
        following = model.encode_window(batch["lr"][:, 1:8])
        fused = model.fuse_between(state, following, batch["ts"].view(-1, 1, 1, 1), clamp=False)
    assert loss.item() == pytest.approx(torch.nn.functional.l1_loss(fused, batch["hr_t"][:, 0]).item(), rel=1e-5)
    assert parts["L_F"] == parts["loss"] == pytest.approx(loss.item())
    scored, _ = fusion_loss(model, batch, psnr=True)  # minus the PSNR the evaluation scores
    frames = fused.numpy() / 2 + 0.5, batch["hr_t"][:, 0].numpy() / 2 + 0.5
    rgb_psnr = [10 * np.log10(1 / np.mean((a - b) ** 2)) for a, b in zip(*frames, strict=True)]
    assert scored.item() == pytest.approx(-np.mean(rgb_psnr), abs=1e-3)
    loss.backward()
    assert all(p.grad is not None for p in model.fusion.parameters())
    windows = ("encoder.", "efst.", "pwcnet.")
    assert all(p.grad is None for n, p in model.named_parameters() if n.startswith(windows))
    assert any(p.grad is not None for n, p in model.named_parameters() if n.startswith("decoder."))


@pytest.mark.slow
def test_fusion_only_trains_the_head_and_validates_fused_frames(tmp_path):
    """``fusion_only`` from weights without a head: the head is added (``fusion_ch``), trained,
    exported with its width, and nothing else moves; validation scores the fused frames. It
    needs a head, and no stage 1."""
    init = save_checkpoint(build_model("lite"), tmp_path / "init.safetensors")
    batches = _batches(3)
    val = ValidationSet.build(batches[:1], 4)
    cfg = _cfg(tmp_path / "run", stage1_iters=0, stage2_iters=3, init=init, fusion_ch=8, fusion_only=True, lr=1e-2)
    out = load_checkpoint(train(cfg, batches, val))
    assert out.config.fusion_ch == 8
    before, after = load_checkpoint(init).state_dict(), out.state_dict()
    assert all(torch.allclose(before[k], after[k], atol=1e-3) for k in before)  # fp16 export
    assert after["fusion.out.weight"].abs().max() > 0  # trained away from its zero start
    log = _log(tmp_path / "run")
    assert {"L_F", "loss"} <= set(log[-2]) and "L_S" not in log[-2]
    out.eval()
    b = batches[0]
    with torch.no_grad():
        state, following = out.encode_window(b["lr"][:, :7]), out.encode_window(b["lr"][:, 1:8])
        fused = out.fuse_between(state, following, b["ts"].view(-1, 1, 1, 1))
    scored = np.minimum(psnr_y(fused.clamp(0, 1), b["hr_t"][:, 0], 4), 100).mean()
    assert log[-1]["val_between"] == pytest.approx(float(scored), abs=0.02)  # the export is fp16
    with pytest.raises(ValueError, match="resume it with the flags it was started with \\(--fusion-only"):
        train(_cfg(tmp_path / "run", stage1_iters=0, stage2_iters=4), batches)  # the flag left out
    with pytest.raises(ValueError, match="fusion head"):
        train(_cfg(tmp_path / "nohead", stage1_iters=0, fusion_only=True), _batches(1))
    with pytest.raises(ValueError, match="no stage 1"):
        train(_cfg(tmp_path / "stage1", fusion_ch=8, fusion_only=True), _batches(1))
    with pytest.raises(ValueError, match="psnr scores HR frames, which the flow-only stage does not make"):
        train(_cfg(tmp_path / "psnr", stage1_iters=0, flow_only=True, psnr=True), _batches(1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--batch-size", "0"], "--batch-size: must be >= 1"),
        (["--strides", "1", "4"], "--strides: must be >= 2"),
        (["--stage1-iters", "0", "--stage2-iters", "0"], "must be at least 1"),
        (["--min-lr=-1e-3"], "--min-lr in [0, --lr]"),
        (["--crf", "40", "60"], "--crf takes LOW HIGH within [0, 51]"),
        (["--lr-over-minutes"], "> 0 with --lr-over-minutes"),
        (["--flow-only"], "add --stage1-iters 0"),
        (["--reset-flow", "--freeze-flow"], "--reset-flow starts the flow net from scratch"),
        (["--w-pyramid", "1"], "--w-pyramid weighs the teacher flow"),
    ],
)
def test_cli_refuses_options_that_would_train_wrong_or_crash_late(monkeypatch, capsys, tmp_path, options, message):
    from vsstvun.train.__main__ import _args

    monkeypatch.setattr(sys, "argv", ["train", "--out", str(tmp_path), *options])
    with pytest.raises(SystemExit) as exit_:
        _args()
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_resumed_run_keeps_its_network_and_window_stream(tmp_path):
    """Resuming with another batch size would skip or repeat windows (the stream is indexed by
    step x batch size); the step count and the validation windows may change."""
    train(_cfg(tmp_path, stage1_iters=0, stage2_iters=2), _batches(2))
    with pytest.raises(ValueError, match="holds a run with other batch_size, seed"):
        train(_cfg(tmp_path, stage1_iters=0, stage2_iters=4, batch_size=1, seed=3), _batches(2))
    train(_cfg(tmp_path, stage1_iters=0, stage2_iters=3), _batches(1))
    assert [r["step"] for r in _log(tmp_path)] == [1, 2, 3]


def test_a_start_that_never_saved_leaves_no_records_to_the_next(tmp_path):
    """A log without last.pt belongs to weights that were never saved: set aside, not continued."""
    (tmp_path / "log.jsonl").write_text(json.dumps({"step": 0, "stage": 2, "val_centre": 9.9}) + "\n")
    train(_cfg(tmp_path, stage1_iters=0, stage2_iters=1), _batches(1))
    assert [r["step"] for r in _log(tmp_path)] == [1]
    assert "9.9" in (tmp_path / "log.jsonl.unsaved").read_text()


def test_an_unreadable_checkpoint_is_named(tmp_path):
    (tmp_path / "last.pt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"last\.pt cannot be read .*delete it to start over"):
        saved_step(tmp_path)
