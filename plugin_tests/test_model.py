"""Model structure and the encode_window / synthesize split."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from vsstvun.model import PRESETS, ModelConfig, WindowState, build_model, preset_config
from vsstvun.model.blocks import LRELU_SLOPE, init_weights
from vsstvun.model.checkpoint import load_checkpoint, save_checkpoint
from vsstvun.model.ops.warp import backward_warp, flow_to_time

# Parameter counts of the authors' network, per sub-module (shared/reference).
FULL_COUNTS = {"encoder": 444_672, "efst": 340_800, "decoder": 20_722_464, "pwcnet": 9_374_340}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def full():
    return build_model("full", 4)


def test_full_parameter_count(full):
    assert n_params(full) == 30_882_276
    for name, count in FULL_COUNTS.items():
        assert n_params(getattr(full, name)) == count, name


def test_full_key_names_match_checkpoint_layout(full):
    keys = set(full.state_dict())
    expected = {
        "encoder.conv.0.weight",
        "encoder.block3.conv1.0.bias",
        "efst.early_fusion.weight",
        "efst.ff.tAtt0.weight",
        "efst.ff.sAtt1.0.weight",
        "efst.ff.sAttL2.0.weight",
        "efst.ff.sAtt5.weight",
        "efst.ff.sAttA2.weight",
        "decoder.cconv3.weight",
        "decoder.block0_0.conv0.0.weight",
        "decoder.block3_2.conv1.0.weight",
        "decoder.rconv0.0.weight",
        "decoder.rconv1.weight",
        "pwcnet.conv1aa.0.weight",
        "pwcnet.conv6aa.0.weight",
        "pwcnet.conv6_4.0.weight",
        "pwcnet.predict_flow2.weight",
        "pwcnet.deconv2.weight",
        "pwcnet.upfeat3.weight",
        "pwcnet.dc_conv7.weight",
    }
    assert expected <= keys
    assert "decoder.cconv0.weight" not in keys and "pwcnet.upfeat2.weight" not in keys
    sd = full.state_dict()
    assert sd["efst.early_fusion.weight"].shape == (64, 448, 1, 1)
    assert sd["decoder.block2_2.conv0.0.weight"].shape == (512, 512, 3, 3)
    assert sd["decoder.block2_2.conv1.0.weight"].shape == (64, 1024, 3, 3)
    assert sd["pwcnet.conv6_0.0.weight"].shape == (128, 81, 3, 3)


def test_x2_changes_only_the_last_conv():
    a = build_model("full", 4).state_dict()
    b = build_model("full", 2).state_dict()
    assert a.keys() == b.keys()
    diff = [k for k in a if a[k].shape != b[k].shape]
    assert sorted(diff) == ["decoder.rconv1.bias", "decoder.rconv1.weight"]
    assert b["decoder.rconv1.weight"].shape[0] == 12


def test_lite_is_small_and_shaped_like_full():
    lite = build_model("lite")
    assert n_params(lite) < 4_000_000
    assert set(lite.state_dict()) == set(build_model("full").state_dict())
    assert lite.state_dict()["encoder.conv.0.weight"].shape == (PRESETS["lite"].enc_ch, 3, 3, 3)


def test_unknown_preset_and_scale():
    with pytest.raises(ValueError, match="unknown model preset"):
        preset_config("huge")
    with pytest.raises(ValueError, match="scale"):
        preset_config("lite", 3)


@pytest.mark.parametrize("scale", [2, 4])
def test_output_sizes_any_input_size(scale):
    torch.manual_seed(0)
    model = build_model("lite", scale).eval()
    frames = torch.rand(1, 7, 3, 20, 36)  # not multiples of 16: padded and cropped internally
    with torch.inference_mode():
        state = model.encode_window(frames)
        centre = model.synthesize(state, 0.0)
        mid = model.synthesize(state, 0.5)
    assert centre.shape == mid.shape == (1, 3, 20 * scale, 36 * scale)
    assert float(centre.min()) >= 0.0 and float(centre.max()) <= 1.0
    assert not torch.equal(centre, mid)


def test_encode_synthesize_equals_forward():
    torch.manual_seed(1)
    model = build_model("lite").eval()
    frames = torch.rand(2, 7, 3, 32, 48)
    ts = [0.25, 0.5, 0.8]
    with torch.inference_mode():
        ref = model(frames, ts)
        state = model.encode_window(frames)
        parts = [model.synthesize(state, 0.0, clamp=False)] + [model.synthesize(state, t, clamp=False) for t in ts]
    assert ref.shape == (2, 4, 3, 128, 192)
    assert torch.equal(ref, torch.stack(parts, dim=1))


def test_state_reuse_is_pure():
    """Synthesising one time must not disturb the state used for the next."""
    torch.manual_seed(2)
    model = build_model("lite").eval()
    frames = torch.rand(1, 7, 3, 16, 16)
    with torch.inference_mode():
        state = model.encode_window(frames)
        a = model.synthesize(state, 0.3)
        model.synthesize(state, 0.7)
        assert torch.equal(a, model.synthesize(state, 0.3))
    assert state.nbytes() > 0


def test_time_out_of_range():
    model = build_model("lite").eval()
    with torch.inference_mode():
        state = model.encode_window(torch.rand(1, 7, 3, 16, 16))
        with pytest.raises(ValueError):
            model.synthesize(state, 1.0)


def test_wrong_window_shape():
    with pytest.raises(ValueError, match="expected"):
        build_model("lite").encode_window(torch.rand(1, 5, 3, 16, 16))


def test_gradients_reach_every_parameter():
    """Training stage 2 touches every sub-network (deconv2 aside, which PWC-Net never runs)."""
    torch.manual_seed(3)
    model = build_model("lite")
    out = model(torch.rand(1, 7, 3, 16, 16), [0.5])
    out.mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert missing == ["pwcnet.deconv2.weight", "pwcnet.deconv2.bias"]


@pytest.mark.parametrize("scale", [2, 4])
def test_aligned_base_puts_lr_pixels_on_the_decimation_grid(scale):
    """A linear ramp decimated from pixel 0 comes back exactly (away from the right edge)."""
    from vsstvun.model.stvun import upsample_aligned

    hr = torch.arange(64.0).view(1, 1, 1, 64).expand(1, 1, 8, 64)
    lr = hr[..., ::scale, ::scale]
    up = upsample_aligned(lr, scale)
    assert up.shape == hr.shape
    keep = 64 - scale
    assert torch.allclose(up[..., :keep], hr[..., :keep], atol=1e-4)


def test_base_convention_per_preset(full):
    lr = torch.rand(1, 3, 8, 8)
    lite = build_model("lite")
    assert torch.equal(lite.base(lr)[..., ::4, ::4], lr)  # LR samples sit on the HR grid
    ref = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bilinear", align_corners=False)
    assert torch.equal(full.base(lr), ref)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_16_bit_precision_keeps_flow_in_fp32(dtype):
    """16-bit encoder/EFST/decoder with an fp32 flow net: flows stay fp32, output close to fp32.

    fp16 takes half frames (half I/O); bf16 takes fp32 frames, so its flows are exactly fp32's and
    the HR base and output stay fp32.
    """
    torch.manual_seed(4)
    ref = build_model("lite").eval()
    low = build_model("lite").eval()
    low.load_state_dict(ref.state_dict())
    low.set_precision(dtype)
    assert low.compute_dtype == dtype and low.decoder.rconv1.weight.dtype == dtype
    assert low.pwcnet.conv1a[0].weight.dtype == torch.float32
    frames = torch.rand(1, 7, 3, 16, 16).half().float()  # representable in fp16: only arithmetic differs
    with torch.inference_mode():
        s16 = low.encode_window(frames.to(low.input_dtype))
        s32 = ref.encode_window(frames)
        assert s16.f34.dtype == torch.float32 and s16.feats3[0].dtype == dtype
        scale = max(1.0, s32.f34.abs().max().item())  # fp16 upsampling before the fp32 flow net: 0.1 % of the range
        torch.testing.assert_close(s16.f34, s32.f34, atol=1e-3 * scale if dtype == torch.float16 else 0, rtol=0)
        out16, out32 = low.synthesize(s16, 0.5), ref.synthesize(s32, 0.5)
    assert out16.dtype == low.input_dtype
    # bf16 keeps 3 mantissa bits fewer than fp16: 8x its rounding step (random weights amplify it).
    assert 0 < (out16.float() - out32).abs().max().item() < (2e-2 if dtype == torch.float16 else 1e-1)


def test_pwcnet_pyramid_levels_and_final_flow():
    torch.manual_seed(0)
    model = build_model("lite", flow_refine=0).eval()  # the flow net's own flow, no clean-up
    assert model.config.flow_upsample == 2  # PWC-Net input = 2x LR: levels 6..3 at 1/32 .. 1/4 of LR
    a, b = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        flows, coarse = model.flow_pyramid(a, b)
        f34, f43 = model.flow(a, b)
    assert torch.equal(flows, torch.cat((f34, f43))) and flows.shape == (2, 2, 64, 96)
    assert [tuple(c.shape) for c in coarse] == [(2, 2, 64 >> k, 96 >> k) for k in (5, 4, 3, 2)]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_flow_upsample_returns_lr_grid_and_lr_pixels(k, monkeypatch):
    """Whatever size PWC-Net runs at, flows come back on the LR grid in LR pixels: its final
    flow is in pixels of its own output grid (1/4 of its input), its coarse flows in NVlabs
    units of NVLABS_UNIT input pixels."""
    model = build_model("lite", 4, flow_upsample=k).eval()
    seen = {}

    def constant_pwc(im1, im2):
        seen["input"] = tuple(im1.shape[-2:])
        n, _, h, w = im1.shape
        return torch.ones(n, 2, h // 4, w // 4), [torch.ones(n, 2, h >> lvl, w >> lvl) for lvl in (6, 5, 4, 3)]

    monkeypatch.setattr(model.pwcnet, "forward", constant_pwc)
    a = torch.rand(1, 3, 48, 80)  # a multiple of 16 LR pixels, not of 64 / k: padded for PWC-Net
    flows, coarse = model.flow_pyramid(a, a)
    padded = -(-48 // (64 // k)) * (64 // k), -(-80 // (64 // k)) * (64 // k)
    assert seen["input"] == (padded[0] * k, padded[1] * k)
    assert flows.shape == (2, 2, 48, 80)
    torch.testing.assert_close(flows, torch.full_like(flows, 4 / k))
    assert all(torch.allclose(c, torch.full_like(c, 20 / k)) for c in coarse)


def test_flow_upsample_is_validated():
    with pytest.raises(ValueError, match="flow_upsample"):
        dataclasses.replace(preset_config("lite", 4), flow_upsample=3)


def test_he_init_keeps_activation_scale():
    conv = torch.nn.Conv2d(32, 64, 3)
    init_weights(conv)
    gain = (2 / (1 + LRELU_SLOPE**2)) ** 0.5
    assert float(conv.weight.detach().std()) == pytest.approx(gain / (32 * 9) ** 0.5, rel=0.05)
    assert not conv.bias.any()
    torch.manual_seed(0)
    x = (
        sum(
            torch.nn.functional.interpolate(
                torch.rand(1, 3, 256 >> k, 256 >> k) * 2 - 1, size=(256, 256), mode="bilinear"
            )
            for k in (3, 4, 5)
        )
        / 3
    )  # smooth texture
    pwc = build_model("lite").pwcnet
    with torch.no_grad():
        feats = pwc._pyramid(x)
    # Level-5 features: about 0.25-0.7 x the input's scale with He init, under 0.08 x with
    # PyTorch's default init (4 seeds each).
    assert float(feats[4].std()) > 0.15 * float(x.std())


def test_normalised_cost_volume_is_cosine_similarity(full):
    pwc = build_model("lite").pwcnet
    f = torch.randn(1, 24, 8, 8)
    cost = pwc._cost(f, f)
    centre = (2 * pwc.md + 1) ** 2 // 2  # zero displacement
    assert torch.allclose(cost[:, centre], torch.ones(1, 8, 8), atol=1e-5)
    assert cost.max() <= 1 + 1e-5
    assert torch.allclose(pwc._cost(10 * f, 0.1 * f), cost, atol=1e-5)  # blind to feature scale
    # the authors' network keeps the raw mean product: it scales with the features
    raw = full.pwcnet._cost(f, f)[:, centre]
    assert torch.allclose(raw, (f * f).mean(1), atol=1e-5)
    assert torch.allclose(full.pwcnet._cost(10 * f, f)[:, centre], 10 * raw, atol=1e-4)


def test_encode_window_takes_given_flows():
    torch.manual_seed(0)
    model = build_model("lite").eval()
    frames = torch.rand(1, 7, 3, 20, 24)  # padded to 32 x 32 inside
    flows = (torch.full((1, 2, 20, 24), 1.5), torch.full((1, 2, 20, 24), -0.5))
    with torch.no_grad():
        state = model.encode_window(frames, flows=flows)
    assert state.f34.shape == (1, 2, 32, 32) and bool((state.f34 == 1.5).all()) and bool((state.f43 == -0.5).all())
    with pytest.raises(ValueError, match="flows must be"):
        model.encode_window(frames, flows=(flows[0][..., :16], flows[1]))


@pytest.mark.parametrize(("t", "offset"), [(0.25, 9 / 64), (0.5, 8 / 64), (0.75, 7 / 64)])
def test_full_blends_warped_frames_equally_at_every_time(full, t, offset):
    """Paper Eq. 4-6 worked by hand on ramps: X3(x) = x/32, X4(x) = x/32 + 1/4, flows +-2 px.

    Eq. 4 gives f_t3 = -2t and f_t4 = 2(1 - t); the warped frames are (x - 2t)/32 and
    (x + 2 - 2t)/32 + 1/4, and their plain average is x/32 + (1 - 2t)/32 + 1/8, i.e. x/32 plus
    9/64, 8/64, 7/64 at t = 1/4, 1/2, 3/4 (a blend by distance in time would give x/32 + t/4).
    """
    ramp = torch.arange(16, dtype=torch.float32).div(32).expand(3, 16, 16)
    frames = torch.stack([ramp] * 4 + [ramp + 0.25] * 3).unsqueeze(0)
    flows = (torch.tensor([2.0, 0.0]).view(1, 2, 1, 1).expand(1, 2, 16, 16),) * 2
    flows = (flows[0], -flows[1])
    with torch.no_grad():
        warped = full.warped_lr(full.encode_window(frames, flows=flows), t)
    inner = (..., slice(2, 13))  # columns whose samples stay inside the frame
    assert torch.allclose(warped[inner], ramp[inner] + offset, atol=1e-6)


def test_time_blend_per_preset_and_for_files_without_the_field():
    assert PRESETS["full"].time_blend == "equal" and PRESETS["lite"].time_blend == "linear"
    for preset, blend in (("full", "equal"), ("lite", "linear")):  # what files of that time were trained with
        saved = preset_config(preset).to_dict()
        del saved["time_blend"]
        assert ModelConfig.from_dict(saved).time_blend == blend
    with pytest.raises(ValueError, match="time_blend"):
        dataclasses.replace(PRESETS["full"], time_blend="cubic")


def test_precision_resolution(monkeypatch):
    from vsstvun.model import precision as prec

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert prec.resolve_precision("auto", cuda, half_input=True) == "fp16"  # RGBH keeps meaning fp16
    assert prec.resolve_precision("auto", cuda) == "fp32"
    assert prec.resolve_precision("bf16", cpu) == "bf16"  # explicit requests are honoured
    with pytest.raises(ValueError, match="needs CUDA"):
        prec.resolve_precision("fp16", cpu)
    with pytest.raises(ValueError, match="precision must be one of"):
        prec.resolve_precision("fp8", cpu)
    for native, measured_ok, expected in ((True, True, "bf16"), (True, False, "fp32"), (False, True, "fp32")):
        monkeypatch.setattr(prec, "cpu_native_bf16", lambda native=native: native)
        monkeypatch.setattr(prec, "AUTO_CPU_BF16", measured_ok)
        assert prec.resolve_precision("auto", cpu) == expected


def test_native_bf16_detection_falls_back_to_cpuinfo(monkeypatch, tmp_path):
    from vsstvun.model import precision as prec

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.delattr(torch.cpu, probe, raising=False)
    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(prec, "_CPUINFO", cpuinfo)
    assert not prec.cpu_native_bf16()  # no file: not Linux
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma avx512f\n")
    assert not prec.cpu_native_bf16()
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma avx512f avx512_bf16\n")
    assert prec.cpu_native_bf16()


def test_align_centre_warps_the_centre_features_to_time_t():
    torch.manual_seed(0)
    plain = build_model("lite").eval()
    aligned = build_model("lite", align_centre=True).eval()
    aligned.load_state_dict(plain.state_dict())  # the option adds no weights
    frames = torch.rand(1, 7, 3, 16, 16)
    pan = torch.tensor([2.0, 0.0]).view(1, 2, 1, 1).expand(1, 2, 16, 16)
    with torch.no_grad():
        state = plain.encode_window(frames, flows=(pan, -pan))
        # Eq. 4 at t = 1/2 with f34 = +2 px, f43 = -2 px: f_t3 = -1/4 * 2 + 1/4 * -2 = -1 px.
        got = aligned.centre_features_at(state, 0.5)
        shift = torch.tensor([-1.0, 0.0]).view(1, 2, 1, 1)
        want = [backward_warp(f, shift.expand_as(f[:, :2]).contiguous()) for f in state.centre_decoded]
        assert all(torch.allclose(g, w, atol=1e-6) for g, w in zip(got, want, strict=True))
        assert plain.centre_features_at(state, 0.5) is state.centre_decoded
        assert not torch.allclose(
            aligned.synthesize(state, 0.5, clamp=False), plain.synthesize(state, 0.5, clamp=False)
        )
        assert torch.equal(aligned.synthesize(state, 0.0), plain.synthesize(state, 0.0))  # the centre frame
        still = plain.encode_window(frames, flows=(pan * 0, pan * 0))  # no motion: nothing to align
        assert torch.allclose(
            aligned.synthesize(still, 0.5, clamp=False), plain.synthesize(still, 0.5, clamp=False), atol=1e-5
        )
    saved = aligned.config.to_dict()
    assert ModelConfig.from_dict(saved).align_centre
    del saved["align_centre"]  # a file from before the option: trained without it
    assert not ModelConfig.from_dict(saved).align_centre


def test_flow_refine_cleans_the_flow_nets_output():
    """``flow_refine`` runs the photometric clean-up on both directions after the flow net, and
    only then; an even or negative window is refused by the config."""
    from vsstvun.model.ops.flow_refine import refine_flow

    torch.manual_seed(0)
    plain = build_model("lite", flow_refine=0).eval()
    refined = build_model("lite", flow_refine=5).eval()
    refined.load_state_dict(plain.state_dict())
    a, b = torch.rand(2, 1, 3, 32, 48).unbind()
    with torch.no_grad():
        f_ab, f_ba = plain.flow(a, b)
        torch.testing.assert_close(refined.flow(a, b), (refine_flow(f_ab, a, b, 5), refine_flow(f_ba, b, a, 5)))
    assert not torch.equal(refined.flow(a, b)[0], f_ab)
    for bad in (-1, 4):
        with pytest.raises(ValueError, match="flow_refine must be 0"):
            dataclasses.replace(preset_config("lite"), flow_refine=bad)
    for bad in (2.5, True, "5"):
        with pytest.raises(TypeError, match="flow_refine must be a whole number"):
            dataclasses.replace(preset_config("lite"), flow_refine=bad)


@pytest.mark.parametrize("refine", [0, 5])
def test_window_flows_are_the_flows_encode_window_computes(refine):
    """On a frame whose sides are not multiples of the padding (40x36), the flow clean-up's
    boxes near the padded border must see what they see inside encode_window: tiles take their
    flows from window_flows, so any difference would show between tiled and untiled output."""
    torch.manual_seed(0)
    model = build_model("lite", flow_refine=refine).eval()
    frames = torch.rand(1, 7, 3, 36, 40)
    with torch.no_grad():
        state = model.encode_window(frames)
        f34, f43 = model.window_flows(frames)
    assert f34.shape == f43.shape == (1, 2, 36, 40)
    torch.testing.assert_close(f34, state.f34[..., :36, :40], rtol=0, atol=0)
    torch.testing.assert_close(f43, state.f43[..., :36, :40], rtol=0, atol=0)


def _centre_state(model, centre: torch.Tensor, f34: torch.Tensor, f43: torch.Tensor) -> WindowState:
    """A window state holding only what :meth:`STVUN.warp_between` reads: an HR centre frame
    (model range, ``(1, 3, sH, sW)``) and LR flows."""
    _, _, h, w = f34.shape
    unused: list[torch.Tensor] = []
    empty = torch.empty(0)
    return WindowState(unused, unused, unused, centre, empty, empty, f34, f43, h, w)


@pytest.mark.parametrize(("preset", "t"), [("lite", 0.5), ("lite", 0.25), ("base", 0.75)])
def test_warp_between_moves_the_centre_frames_to_time_t(preset, t):
    """Content moving d LR px per frame: X4's centre is X3's shifted by s*d HR px and brightened
    by ``lift``, the flows are +-d, so both sides sample X3's centre shifted by t*s*d (Eq. 4 with
    linear motion) and the (1 - t, t) blend adds t * lift (an equal blend would add lift / 2)."""
    torch.manual_seed(4)
    model = build_model(preset, 4).eval()
    s, d = 4, 2
    h, w = 16, 24
    lift = 0.2
    wide = torch.rand(1, 3, h * s, w * s + s * d) * 1.6 - 0.8  # model range, room for the lift
    c3, c4 = wide[..., s * d :], wide[..., : w * s] + lift  # X4(x) = X3(x - s*d) + lift: moved right
    flow = torch.zeros(1, 2, h, w)
    flow[:, 0] = d
    with torch.inference_mode():
        state, following = _centre_state(model, c3, flow, -flow), _centre_state(model, c4, flow, -flow)
        out = model.warp_between(state, following, t)
        assert torch.equal(model.warp_between(state, following, 0.0), model.synthesize(state, 0.0))
    shift = round(t * s * d)
    expected = (wide[..., s * d - shift : s * d - shift + w * s] + t * lift) * 0.5 + 0.5
    inner = (..., slice(s * d, w * s - s * d))  # columns whose samples stay inside both frames
    assert out.shape == (1, 3, h * s, w * s)
    assert torch.allclose(out[inner], expected[inner], atol=1e-5)


def test_warp_between_checks_time_and_sizes():
    model = build_model("lite").eval()
    with torch.inference_mode():
        a = model.encode_window(torch.rand(1, 7, 3, 16, 16))
        b = model.encode_window(torch.rand(1, 7, 3, 16, 32))
        with pytest.raises(ValueError, match=r"t must be in \[0, 1\)"):
            model.warp_between(a, a, 1.0)
        with pytest.raises(ValueError, match="differ in size"):
            model.warp_between(a, b, 0.5)


def _two_windows(model, seed: int = 0, size: tuple[int, int] = (16, 24)):
    """States of the windows X0..X6 and X1..X7 of random frames."""
    g = torch.Generator().manual_seed(seed)
    frames = torch.rand(1, 8, 3, *size, generator=g)
    with torch.inference_mode():
        return model.encode_window(frames[:, :7]), model.encode_window(frames[:, 1:8])


def test_fusion_head_starts_as_the_average_of_joint_and_warp():
    """A fresh head (zero last conv) returns the mean of the decoder pass's and the warped
    centre frames, before clamping; t = 0 is the centre frame, as in the other modes; a head
    whose last conv is not zero departs from the average."""
    torch.manual_seed(0)
    model = build_model("lite", 4, fusion_ch=8).eval()
    state, following = _two_windows(model)
    with torch.inference_mode():
        joint = model.synthesize(state, 0.5, clamp=False)
        warped = model.warp_between(state, following, 0.5, clamp=False)
        fused = model.fuse_between(state, following, 0.5, clamp=False)
        assert fused.shape == joint.shape == (1, 3, 64, 96)
        torch.testing.assert_close(fused, (joint + warped) / 2, atol=1e-5, rtol=0)
        assert torch.equal(model.fuse_between(state, following, 0.0), model.synthesize(state, 0.0))
        assert torch.equal(model.between(state, following, 0.5, "fuse"), model.fuse_between(state, following, 0.5))
        assert torch.equal(model.between(state, following, 0.5, "warp"), model.warp_between(state, following, 0.5))
        torch.nn.init.normal_(model.fusion.out.weight, std=0.1)
        moved = model.fuse_between(state, following, 0.5, clamp=False)
    assert (moved - fused).abs().mean() > 1e-3


def test_fusion_head_weights_are_saved_and_required(tmp_path):
    """The head's width is part of the config, so a file rebuilds it; weights without a head
    refuse ``fuse`` (and ``between`` any mode that does not use the window after); a negative
    width is refused by the config."""
    torch.manual_seed(1)
    model = build_model("lite", 2, fusion_ch=8).eval()
    torch.nn.init.normal_(model.fusion.out.weight, std=0.1)
    loaded = load_checkpoint(save_checkpoint(model, tmp_path / "fused.safetensors")).eval()
    assert loaded.config.fusion_ch == 8
    state, following = _two_windows(loaded, size=(16, 16))
    with torch.inference_mode():
        torch.testing.assert_close(
            loaded.fuse_between(state, following, 0.25), model.fuse_between(state, following, 0.25)
        )
    plain = build_model("lite", 2).eval()
    assert plain.fusion is None and "fusion.out.weight" not in plain.state_dict()
    state, following = _two_windows(plain, size=(16, 16))
    with torch.inference_mode(), pytest.raises(ValueError, match="no fusion head"):
        plain.fuse_between(state, following, 0.5)
    with pytest.raises(ValueError, match="does not use the window after"):
        plain.between(state, following, 0.5, "joint")
    with pytest.raises(ValueError, match="fusion_ch must be >= 0"):
        dataclasses.replace(preset_config("lite"), fusion_ch=-1)
    with pytest.raises(ValueError, match="fusion_dis is a candidate of the fusion head"):
        dataclasses.replace(preset_config("lite"), fusion_dis=True)
    with pytest.raises(ValueError, match="fusion_split shapes the fusion head's candidates"):
        dataclasses.replace(preset_config("lite"), fusion_split=True)
    with pytest.raises(ValueError, match="fusion_consistency checks the DIS flows"):
        dataclasses.replace(preset_config("lite"), fusion_ch=8, fusion_consistency=True)
    with pytest.raises(ValueError, match="fusion_base warps with the DIS flows"):
        dataclasses.replace(preset_config("lite"), fusion_ch=8, fusion_base=True)
    with pytest.raises(ValueError, match="fusion_splat splats along the DIS flows"):
        dataclasses.replace(preset_config("lite"), fusion_ch=8, fusion_splat=True)
    with pytest.raises(ValueError, match="fusion_still is a candidate of the fusion head"):
        dataclasses.replace(preset_config("lite"), fusion_still=True)


def test_fusion_dis_adds_the_sequential_frame_as_a_third_candidate():
    """With ``fusion_dis`` a fresh head averages three frames, the third being the two centre
    frames warped with DIS flow between them (the sequential pipeline's frame). On content
    that only translates, that candidate is the centre frame moved by t of the motion."""
    torch.manual_seed(2)
    model = build_model("lite", 2, fusion_ch=8, fusion_dis=True).eval()
    s, d, h, w = 2, 3, 32, 48  # multiples of SIZE_MULTIPLE: the centres are the padded grid
    yy, xx = torch.meshgrid(torch.arange(h * s), torch.arange(w * s + s * d), indexing="ij")
    wide = (torch.sin(xx / 3.0) * torch.cos(yy / 4.0)).expand(1, 3, -1, -1) * 0.8  # smooth texture, model range
    c3, c4 = wide[..., s * d :], wide[..., : w * s]  # X4 = X3 moved right by s*d HR px
    state = model.encode_window(torch.rand(1, 7, 3, h, w))
    following = model.encode_window(torch.rand(1, 7, 3, h, w))
    state, following = (dataclasses.replace(x, centre=c) for x, c in ((state, c3), (following, c4)))
    with torch.inference_mode():
        fused = model.fuse_between(state, following, 0.5, clamp=False)
        joint = model.synthesize(state, 0.5, clamp=False)
        warped = model.warp_between(state, following, 0.5, clamp=False)
    sequential = 3 * fused - joint - warped
    expected = wide[..., s * d - s * d // 2 : s * d - s * d // 2 + w * s] * 0.5 + 0.5
    inner = (..., slice(4, -4), slice(2 * s * d, w * s - 2 * s * d))
    assert (sequential[inner] - expected[inner]).abs().mean() < 0.01
    assert (warped[inner] - expected[inner]).abs().mean() > 0.02  # the random window's own flow is wrong


@pytest.mark.parametrize("dis", [False, True])
def test_fusion_split_starts_from_the_blend_and_can_take_one_side(dis):
    """``fusion_split`` gives the head X3's and X4's warped frames apart: fresh, it returns
    what the blending head returns (its prior is the (1 - t, t) blend), and with a large logit
    for one side it returns that side alone, which a blend cannot."""
    torch.manual_seed(3)
    blend = build_model("lite", 2, fusion_ch=8, fusion_dis=dis).eval()
    split = build_model("lite", 2, fusion_ch=8, fusion_dis=dis, fusion_split=True).eval()
    assert split.fusion.candidates == (5 if dis else 3) and blend.fusion.candidates == (3 if dis else 2)
    split.load_state_dict({k: v for k, v in blend.state_dict().items() if not k.startswith("fusion.")}, strict=False)
    frames = torch.rand(1, 8, 3, 32, 48)
    with torch.inference_mode():
        state, following = (split.encode_window(frames[:, k : k + 7]) for k in (0, 1))
        for t in (0.25, 0.5):
            torch.testing.assert_close(
                split.fuse_between(state, following, t, clamp=False),
                blend.fuse_between(state, following, t, clamp=False),
                atol=1e-5,
                rtol=0,
            )
        s2 = split.scale**2
        split.fusion.out.bias[s2 : 2 * s2] = 50.0  # the logit of X3's side (net flow), every pixel
        f_t3, _ = flow_to_time(*(split._centre_flows(state)), 0.25)
        side = backward_warp(state.centre.float(), f_t3)
        torch.testing.assert_close(
            split.fuse_between(state, following, 0.25, clamp=False), split._crop(side, state, False)
        )


def _paired_windows(model, seed: int = 0):
    """:func:`_two_windows` (32x48) and the DIS flows between their centres: all a fused
    in-between frame takes."""
    state, following = _two_windows(model, seed, size=(32, 48))
    with torch.inference_mode():
        return state, following, model.pair_flows(state, following)


def test_fusion_consistency_loads_a_head_without_it_and_starts_where_it_was():
    """A head trained without the DIS consistency maps loads whole into one with them (the maps
    enter through a conv of their own, started at zero), so training them on starts exactly from
    the old head; once that conv is not zero, the maps change the frame."""
    torch.manual_seed(4)
    old = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True).eval()
    torch.nn.init.normal_(old.fusion.out.weight, std=0.05)
    new = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True, fusion_consistency=True).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert sorted(missing) == ["fusion.guide.bias", "fusion.guide.weight"] and not unexpected
    with torch.inference_mode():
        state, following, pair = _paired_windows(new)
        before = old.fuse_between(state, following, 0.5, clamp=False, dis=pair)
        torch.testing.assert_close(new.fuse_between(state, following, 0.5, clamp=False, dis=pair), before)
        torch.nn.init.normal_(new.fusion.guide.weight, std=0.5)
        assert (new.fuse_between(state, following, 0.5, clamp=False, dis=pair) - before).abs().max() > 1e-3


def test_fusion_base_loads_a_head_without_it_and_can_fall_back_on_the_soft_frames():
    """A head trained without the soft candidates loads whole into one with them (their input and
    logit convs are new, started at zero). Their logits pushed down, it computes the old head's
    frame; pushed up (and the correction off), it returns the bilinear bases of X3 and X4 warped
    to t with the DIS flow, blended (1 - t, t): the frames without any decoder residual."""
    from vsstvun.model.ops.warp import warp_to_time

    torch.manual_seed(5)
    old = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True).eval()
    torch.nn.init.normal_(old.fusion.out.weight, std=0.05)
    new = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True, fusion_base=True).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert sorted(missing) == [f"fusion.extra_{io}.{p}" for io in ("in", "out") for p in ("bias", "weight")]
    assert not unexpected
    t = 0.25
    with torch.inference_mode():
        state, following, pair = _paired_windows(new)
        before = old.fuse_between(state, following, t, clamp=False, dis=pair)
        start = new.fuse_between(state, following, t, clamp=False, dis=pair)
        assert 0 < (start - before).abs().max() < 0.2  # the small prior: close, not equal
        new.fusion.extra_out.bias.fill_(-50.0)
        torch.testing.assert_close(new.fuse_between(state, following, t, clamp=False, dis=pair), before)
        new.fusion.extra_out.bias.fill_(50.0)
        new.fusion.out.weight[new.fusion.candidates * new.scale**2 :] = 0  # no correction
        new.fusion.out.bias[new.fusion.candidates * new.scale**2 :] = 0
        soft = warp_to_time(new.base(state.lr3), new.base(state.lr4), *pair, t, "linear")
        torch.testing.assert_close(
            new.fuse_between(state, following, t, clamp=False, dis=pair), new._crop(soft, state, False)
        )


def _late_group_extremes(shape: dict, trained: str, group: str, t: float) -> tuple:
    """A head of ``shape`` (its ``trained`` logit conv randomised) loaded into one that also has
    the late ``group`` (``fusion_<group>``): only the group's convs are missing, and with their
    logits pushed down the new head computes the old frame. Returns the new net with the group's
    logits pushed up and the correction off (the frame is then the group's candidates alone, by
    their prior), and the paired windows to check that frame on."""
    old = build_model("lite", 2, **shape).eval()
    torch.nn.init.normal_(old.fusion.out.weight, std=0.05)
    torch.nn.init.normal_(getattr(old.fusion, f"{trained}_out").weight, std=0.05)
    new = build_model("lite", 2, **shape, **{f"fusion_{group}": True}).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert sorted(missing) == [f"fusion.{group}_{io}.{p}" for io in ("in", "out") for p in ("bias", "weight")]
    assert not unexpected
    state, following, pair = _paired_windows(new)
    logits = getattr(new.fusion, f"{group}_out").bias
    with torch.inference_mode():
        before = old.fuse_between(state, following, t, clamp=False, dis=pair)
        logits.fill_(-50.0)
        torch.testing.assert_close(new.fuse_between(state, following, t, clamp=False, dis=pair), before)
        logits.fill_(50.0)
        new.fusion.out.weight[new.fusion.candidates * new.scale**2 :] = 0  # no correction
        new.fusion.out.bias[new.fusion.candidates * new.scale**2 :] = 0
    return new, state, following, pair


def test_fusion_splat_loads_a_head_without_it_and_can_take_the_splatted_frame():
    """A head with soft candidates loads whole into one that also has the splatted candidate
    (its convs are new, zero-started). Its logit pushed down, the head computes the old frame;
    pushed up (and the correction off), it returns the two centre frames forward-splatted to t
    along the DIS flows, the backward-warped blend in the holes."""
    from vsstvun.model.ops.splat import splat_to_time
    from vsstvun.model.ops.warp import warp_to_time
    from vsstvun.model.stvun import _from_model_range, to_model_range

    torch.manual_seed(7)
    shape = dict(fusion_ch=8, fusion_dis=True, fusion_split=True, fusion_base=True)
    t = 0.5
    new, state, following, pair = _late_group_extremes(shape, "extra", "splat", t)
    with torch.inference_mode():
        c3, c4 = (_from_model_range(c) for c in (state.centre, following.centre))
        splatted = to_model_range(splat_to_time(c3, c4, *pair, t, warp_to_time(c3, c4, *pair, t, "linear")))
        torch.testing.assert_close(
            new.fuse_between(state, following, t, clamp=False, dis=pair), new._crop(splatted, state, False)
        )


def test_fusion_still_loads_a_head_without_it_and_can_hold_the_unwarped_frames():
    """A head with the splatted candidate loads whole into one that also has the unwarped pair
    (its convs are new, zero-started). Its logits pushed down, the head computes the old frame;
    pushed up (and the correction off), it cross-fades the two centre frames where they stand,
    (1 - t, t), with no warp: a drawing held on twos stays where one side shows it."""
    torch.manual_seed(8)
    shape = dict(fusion_ch=8, fusion_dis=True, fusion_split=True, fusion_base=True, fusion_splat=True)
    t = 0.25
    new, state, following, pair = _late_group_extremes(shape, "splat", "still", t)
    with torch.inference_mode():
        held = (1 - t) * state.centre + t * following.centre
        torch.testing.assert_close(
            new.fuse_between(state, following, t, clamp=False, dis=pair), new._crop(held, state, False)
        )


def test_soft_off_script_writes_the_head_without_its_soft_candidates(tmp_path):
    """``scripts/soft_off.py``, the ablation of ``fusion_base``: the copy computes the frame the
    trained head makes with its soft candidates' logits at -50, every other tensor unchanged; a
    file without soft candidates is refused."""
    import subprocess
    import sys
    from pathlib import Path

    from vsstvun.model.checkpoint import load_checkpoint, save_checkpoint

    def run(*args):
        script = Path(__file__).resolve().parents[1] / "scripts" / "soft_off.py"
        return subprocess.run([sys.executable, script, *args], capture_output=True, text=True)

    torch.manual_seed(6)
    net = build_model("lite", 2, fusion_ch=8, fusion_dis=True, fusion_split=True, fusion_base=True).eval()
    torch.nn.init.normal_(net.fusion.extra_out.weight, std=0.05)
    source = save_checkpoint(net, tmp_path / "soft.safetensors", half=True)
    done = run(source, tmp_path / "off.safetensors")
    assert done.returncode == 0, done.stderr
    trained, off = load_checkpoint(source).eval(), load_checkpoint(tmp_path / "off.safetensors").eval()
    changed = [k for k, v in off.state_dict().items() if not torch.equal(v, trained.state_dict()[k])]
    assert changed == ["fusion.extra_out.bias"] and (off.fusion.extra_out.bias == -50).all()
    with torch.inference_mode():
        state, following, pair = _paired_windows(trained)
        trained.fusion.extra_out.bias.fill_(-50.0)
        expected = trained.fuse_between(state, following, 0.5, dis=pair)
        torch.testing.assert_close(off.fuse_between(state, following, 0.5, dis=pair), expected)
    plain = save_checkpoint(build_model("lite", 2, fusion_ch=8, fusion_dis=True), tmp_path / "plain.safetensors")
    refused = run(plain, tmp_path / "x.safetensors")
    assert refused.returncode != 0 and "has no soft candidates" in refused.stderr
