"""Checkpoint I/O: the project's safetensors files and the authors' ``STVUN.pth``.

Our files carry the model config in the safetensors metadata, so a file alone rebuilds its
network, and a SHA-256 of their tensors: safetensors itself checks only the header, so a few
flipped bytes in the data would otherwise load silently (and can turn every output pixel NaN).
The authors' pickle has no config: it is recognised by its key names and shapes (it is always
the ``full`` preset; the scale follows from the last conv's output channels). Every checkpoint,
ours or theirs, must hold finite values only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from .config import ModelConfig, preset_config
from .stvun import STVUN

FORMAT = "vsstvun"
NORMALISATION = "rgb (x - 0.5) / 0.5"
#: Renames applied to state dicts from older releases of the authors' code.
_LEGACY_KEYS = {"efst.cconv.": "efst.early_fusion."}
#: Metadata key of :func:`tensor_digest` in our files.
_DIGEST_KEY = "tensors_sha256"


class CheckpointError(ValueError):
    """A weights file that exists but cannot be used (wrong format, truncated, mismatched)."""


def tensor_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 (hex) over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_checkpoint(model: STVUN, path: str | Path, half: bool = False, extra: dict[str, str] | None = None) -> Path:
    """Write weights and config to safetensors; ``half`` stores fp16 to halve the file."""
    state = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
        for k, v in model.state_dict().items()
    }
    return write_state(state, model.config, path, extra)


def write_state(
    state: dict[str, torch.Tensor], config: ModelConfig, path: str | Path, extra: dict[str, str] | None = None
) -> Path:
    """Write tensors exactly as given (no cast) with our metadata: config and tensor checksum.

    ``extra`` entries (e.g. ``train_step``) are stored too but cannot override ours.
    """
    from safetensors.torch import save_file

    meta = {
        **(extra or {}),
        "format": FORMAT,
        "config": json.dumps(config.to_dict()),
        "preset": config.preset,
        "scale": str(config.scale),
        "normalisation": NORMALISATION,
        _DIGEST_KEY: tensor_digest(state),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside, then renamed over: a run stopped mid-save (a time limit) keeps a whole file.
    partial = path.with_name(path.name + ".partial")
    save_file(state, str(partial), metadata=meta)
    partial.replace(path)
    return path


def normalise_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip DataParallel prefixes and rename legacy keys to the current names."""
    out = {}
    for k, v in state.items():
        if k.startswith("module."):
            k = k[len("module.") :]
        for old, new in _LEGACY_KEYS.items():
            if k.startswith(old):
                k = new + k[len(old) :]
        out[k] = v
    return out


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
    except Exception as e:  # safetensors raises several types for bad headers and short files
        raise CheckpointError(f"{path} is not a readable safetensors file (truncated or corrupt?): {e}") from e
    expected = meta.get(_DIGEST_KEY)
    if expected is not None and tensor_digest(state) != expected:
        raise CheckpointError(
            f"{path}: the tensor data does not match the checksum stored in the file (corrupted on disk or "
            "in transfer); download or reinstall it"
        )
    if "config" in meta:
        return state, ModelConfig.from_dict(json.loads(meta["config"]))
    return state, _infer_config(state, path)


def _read_pickle(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(
            f"{path} is neither a safetensors file nor a readable PyTorch checkpoint "
            f"(truncated or corrupt, or not a weights file at all?): {e}"
        ) from e
    for key in ("state_dict", "model", "params"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors")
    state = normalise_keys(obj)
    return state, _infer_config(state, path)


def _infer_config(state: dict[str, torch.Tensor], path: Path) -> ModelConfig:
    """Recognise the preset and scale of a config-less state dict by its shapes."""
    head = state.get("decoder.rconv1.weight")
    if head is None:
        raise CheckpointError(f"{path} has no 'decoder.rconv1.weight': not an STVUN checkpoint")
    scale = {48: 4, 12: 2}.get(head.shape[0])
    if scale is None:
        raise CheckpointError(f"{path}: last conv has {head.shape[0]} outputs; expected 48 (x4) or 12 (x2)")
    enc = state.get("encoder.conv.0.weight")
    for name in ("full", "lite"):
        cfg = preset_config(name, scale)
        if enc is not None and enc.shape[0] == cfg.enc_ch:
            return cfg
    raise CheckpointError(f"{path}: encoder width matches no preset")


def _check_finite(state: dict[str, torch.Tensor], path: Path) -> None:
    """Refuse NaN or infinite weights: the network would turn every output pixel NaN."""
    floats = {k: v for k, v in state.items() if v.is_floating_point()}
    if not floats or bool(torch.isfinite(torch.cat([v.reshape(-1) for v in floats.values()])).all()):
        return  # one check over all values: hundreds of small ops cost seconds on a busy CPU
    bad = [k for k, v in floats.items() if not bool(torch.isfinite(v).all())]
    count = int((~torch.isfinite(floats[bad[0]])).sum())
    raise CheckpointError(
        f"{path}: {len(bad)} tensors hold NaN or infinite values (e.g. {bad[0]}: {count} of "
        f"{floats[bad[0]].numel()}); the file is corrupt or comes from a diverged training run"
    )


def _is_safetensors(path: Path) -> bool:
    """safetensors: an 8-byte little-endian header length, then the JSON header. Checked by
    structure, not by a pickle's magic bytes: a header length can begin with 0x80 or "PK" too."""
    with path.open("rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:] == b"{" and int.from_bytes(head[:8], "little") < path.stat().st_size


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> STVUN:
    """Rebuild a network from our safetensors file or the authors' .pth, strictly."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    reader = _read_safetensors if _is_safetensors(path) else _read_pickle
    state, cfg = reader(path)
    _check_finite(state, path)
    state = normalise_keys(state)
    model = STVUN(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not match the {cfg.preset} x{cfg.scale} network: "
            f"{len(missing)} missing keys (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})"
        )
    bad = [k for k, v in state.items() if v.shape != expected[k].shape]
    if bad:
        k = bad[0]
        raise CheckpointError(
            f"{path}: shape of {k} is {tuple(state[k].shape)}, network has {tuple(expected[k].shape)}"
        )
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.to(map_location)


__all__ = [
    "CheckpointError",
    "load_checkpoint",
    "normalise_keys",
    "save_checkpoint",
    "tensor_digest",
    "write_state",
]
