"""Checkpoint round trips, the authors' .pth layout (legacy names too) and clear errors."""

from __future__ import annotations

import pytest
import torch

from vsstvun.model import build_model
from vsstvun.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from vsstvun.weights import load_model


def _same_weights(a: torch.nn.Module, b: torch.nn.Module, atol: float = 0.0) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.allclose(sa[k], sb[k].to(sa[k]), atol=atol) for k in sa)


@pytest.mark.parametrize("scale", [2, 4])
def test_safetensors_round_trip(tmp_path, scale):
    torch.manual_seed(0)
    model = build_model("lite", scale)
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    loaded = load_checkpoint(path)
    assert loaded.config == model.config
    assert _same_weights(model, loaded)
    frames = torch.rand(1, 7, 3, 16, 16)
    with torch.inference_mode():
        assert torch.equal(model.eval()(frames, [0.5]), loaded.eval()(frames, [0.5]))


def test_half_file_loads_as_float(tmp_path):
    model = build_model("lite")
    loaded = load_checkpoint(save_checkpoint(model, tmp_path / "h.safetensors", half=True))
    assert next(loaded.parameters()).dtype == torch.float32
    assert _same_weights(model, loaded, atol=1e-2)


@pytest.mark.parametrize("legacy", [False, True])
def test_authors_pth_layout_loads(tmp_path, legacy):
    """A plain torch.save of the full state dict (optionally with the old efst.cconv name)."""
    torch.manual_seed(0)
    model = build_model("full", 4)
    state = model.state_dict()
    if legacy:
        state = {k.replace("efst.early_fusion.", "efst.cconv."): v for k, v in state.items()}
        assert any(k.startswith("efst.cconv.") for k in state)
    torch.save(state, tmp_path / "STVUN.pth")
    loaded = load_checkpoint(tmp_path / "STVUN.pth")
    assert loaded.config.preset == "full" and loaded.scale == 4
    assert _same_weights(model, loaded)


def test_wrapped_and_dataparallel_pth(tmp_path):
    model = build_model("lite", 2)
    torch.save({"state_dict": {"module." + k: v for k, v in model.state_dict().items()}}, tmp_path / "w.pth")
    loaded = load_checkpoint(tmp_path / "w.pth")
    assert loaded.scale == 2 and _same_weights(model, loaded)


def test_truncated_files_raise_clear_errors(tmp_path):
    model = build_model("lite")
    good = save_checkpoint(model, tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.safetensors")
    torch.save(model.state_dict(), tmp_path / "good.pth")
    data = (tmp_path / "good.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.pth")


def test_mismatched_state_dict(tmp_path):
    state = build_model("lite").state_dict()
    state.pop("decoder.cconv2.weight")
    torch.save(state, tmp_path / "x.pth")
    with pytest.raises(CheckpointError, match="missing keys"):
        load_checkpoint(tmp_path / "x.pth")


def test_not_a_checkpoint(tmp_path):
    torch.save({"a": torch.zeros(1)}, tmp_path / "x.pth")
    with pytest.raises(CheckpointError, match="not an STVUN checkpoint"):
        load_checkpoint(tmp_path / "x.pth")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_load_model_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown model .huge.; packaged"):
        load_model("huge")
    path = save_checkpoint(build_model("lite", 2), tmp_path / "x2.safetensors")
    with pytest.raises(CheckpointError, match="x2 model"):
        load_model(model_path=path, scale=4)
    net = load_model(model_path=path, scale=2)
    assert not net.training and not any(p.requires_grad for p in net.parameters())


def test_files_from_before_the_cosine_cost_volume_keep_the_raw_one(tmp_path):
    """Weights saved before ``pwc_corr_norm`` and ``flow_upsample`` existed were trained with
    the raw product and a flow net on 4x-upsampled LR frames."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    path = save_checkpoint(build_model("lite"), tmp_path / "m.safetensors")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    config = json.loads(meta["config"])
    del config["pwc_corr_norm"], config["flow_upsample"]
    save_file(load_file(str(path)), str(path), metadata=meta | {"config": json.dumps(config)})
    loaded = load_checkpoint(path)
    assert not loaded.config.pwc_corr_norm and not loaded.pwcnet.corr_norm
    assert loaded.config.flow_upsample == 4


def test_safetensors_header_length_that_looks_like_a_pickle(tmp_path):
    """The first byte of a safetensors file is its header length's low byte: 0x80 (a raw
    pickle's first byte) must not send the file to the pickle reader, which would drop the
    metadata and rebuild the config from the preset."""
    model = build_model("lite", 4, flow_upsample=4)
    for k in range(300):
        path = save_checkpoint(model, tmp_path / "m.safetensors", extra={"pad": "x" * k})
        if path.read_bytes()[:1] == b"\x80":
            break
    else:
        pytest.fail("no padding gave a header length starting with 0x80")
    assert load_checkpoint(path).config.flow_upsample == 4  # from the metadata, not the preset's 2


def test_packaged_files_carry_a_checksum_that_matches():
    """Every packaged file, the shared flow files too, is fp16 and matches its stored checksum."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from vsstvun.model.checkpoint import tensor_digest
    from vsstvun.weights import WEIGHTS_DIR

    for path in sorted(WEIGHTS_DIR.glob("*.safetensors")):
        with safe_open(str(path), "pt") as f:
            stored = f.metadata()["tensors_sha256"]
        state = load_file(str(path))
        assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
        assert tensor_digest(state) == stored


def test_overwritten_tensor_bytes_are_refused(tmp_path):
    """A copy of the shipped x4 file with a few bytes of tensor data overwritten (it used to load
    silently and give all-NaN frames)."""
    from vsstvun.weights import default_weights_path

    data = bytearray(default_weights_path("lite", 4).read_bytes())
    start = 8 + int.from_bytes(data[:8], "little")  # tensor data follows the JSON header
    middle = (start + len(data)) // 2
    data[middle : middle + 6] = b"\xff" * 6
    path = tmp_path / "stvun_lite_x4.safetensors"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"^{path}: the tensor data does not match the checksum"):
        load_checkpoint(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(tmp_path, value):
    """The authors' layout (no checksum to catch it) and our own format both refuse NaN / inf."""
    from vsstvun.model.checkpoint import write_state

    model = build_model("lite", 2)
    state = model.state_dict()
    state["decoder.cconv2.weight"].view(-1)[5] = value
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match=f"^{tmp_path / 'bad.pth'}: 1 tensors hold NaN or infinite.*cconv2"):
        load_checkpoint(tmp_path / "bad.pth")
    path = write_state(state, model.config, tmp_path / "bad.safetensors")  # checksum of the bad values
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(path)


def test_weights_sharing_a_flow_file_load_like_standalone_ones(tmp_path):
    """Two variants written with one shared flow file: each loads to exactly the model saved, the
    flow file is written once and pinned, and a variant with another flow net is refused."""
    from vsstvun.model.checkpoint import FLOW_PREFIX

    torch.manual_seed(0)
    first, second = build_model("lite", 2), build_model("lite", 2)
    second.pwcnet.load_state_dict(first.pwcnet.state_dict())
    paths = [
        save_checkpoint(m, tmp_path / f"{n}.safetensors", flow_file="flow.safetensors")
        for n, m in (("a", first), ("b", second))
    ]
    for model, path in zip((first, second), paths, strict=True):
        assert _same_weights(model, load_checkpoint(path))
    from safetensors.torch import load_file

    assert not any(k.startswith(FLOW_PREFIX) for k in load_file(str(paths[0])))
    assert set(load_file(str(tmp_path / "flow.safetensors"))) == {FLOW_PREFIX + k for k in first.pwcnet.state_dict()}
    other = build_model("lite", 2)  # another flow net: writing it must not change a and b's
    before = (tmp_path / "flow.safetensors").read_bytes()
    with pytest.raises(CheckpointError, match="already holds another flow net"):
        save_checkpoint(other, tmp_path / "c.safetensors", flow_file="flow.safetensors")
    assert (tmp_path / "flow.safetensors").read_bytes() == before


def test_a_shared_flow_file_missing_or_swapped_is_refused(tmp_path):
    torch.manual_seed(0)
    path = save_checkpoint(build_model("lite", 2), tmp_path / "a.safetensors", flow_file="flow.safetensors")
    flow = tmp_path / "flow.safetensors"
    with pytest.raises(CheckpointError, match="holds only the flow net"):
        load_checkpoint(flow)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "link.safetensors").symlink_to(path)  # a link finds the flow file beside its target
    assert load_checkpoint(elsewhere / "link.safetensors").scale == 2
    flow.rename(tmp_path / "elsewhere.safetensors")
    with pytest.raises(CheckpointError, match="keeps its flow net in flow.safetensors, which is not beside it"):
        load_checkpoint(path)
    save_checkpoint(build_model("lite", 2), tmp_path / "b.safetensors", flow_file="flow.safetensors")
    with pytest.raises(CheckpointError, match="is not the flow net a.safetensors was written with"):
        load_checkpoint(path)


def test_packaged_variants_share_one_flow_file_per_scale():
    from safetensors import safe_open

    from vsstvun.weights import PACKAGED, default_weights_path, packaged_scales

    for scale in (2, 4):
        names = set()
        for name in (n for n in PACKAGED if scale in packaged_scales(n)):
            with safe_open(str(default_weights_path(name, scale)), "pt") as f:
                names.add(f.metadata()["flow_file"])
        assert names == {f"stvun_flow_lite_x{scale}.safetensors"}
