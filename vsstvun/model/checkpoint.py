"""Checkpoint I/O: the project's safetensors files and the authors' ``STVUN.pth``.

Our files carry the model config in the safetensors metadata, so a file alone rebuilds its
network, and a SHA-256 of their tensors: safetensors itself checks only the header, so a few
flipped bytes in the data would otherwise load silently (and can turn every output pixel NaN).
The authors' pickle has no config: it is recognised by its key names and shapes (it is always
the ``full`` preset; the scale follows from the last conv's output channels). Every checkpoint,
ours or theirs, must hold finite values only.

Packaged weights of one scale differ only in what their encoder, EFST and decoder learnt: the
flow net was frozen while they were trained from one another, and it is more than half of a
``lite`` file. They keep it once, in a sibling "shared flow" file that each names and pins by
checksum (:func:`write_state`'s ``flow_file``), so shipping another variant costs its own
tensors only. Every other file stands alone.
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
#: The flow net's state-dict prefix: what a shared flow file holds.
FLOW_PREFIX = "pwcnet."
#: Format of a shared flow file, and the keys by which a weights file names and pins its one.
FLOW_FORMAT = "vsstvun-flow"
FLOW_FILE_KEY = "flow_file"
_FLOW_DIGEST_KEY = "flow_tensors_sha256"


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


def save_checkpoint(
    model: STVUN,
    path: str | Path,
    half: bool = False,
    extra: dict[str, str] | None = None,
    flow_file: str | None = None,
) -> Path:
    """Write weights and config to safetensors; ``half`` stores fp16 to halve the file;
    ``flow_file``: see :func:`write_state`."""
    state = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
        for k, v in model.state_dict().items()
    }
    return write_state(state, model.config, path, extra, flow_file)


def write_state(
    state: dict[str, torch.Tensor],
    config: ModelConfig,
    path: str | Path,
    extra: dict[str, str] | None = None,
    flow_file: str | None = None,
) -> Path:
    """Write tensors exactly as given (no cast) with our metadata: config and tensor checksum.

    ``extra`` entries (e.g. ``train_step``) are stored too but cannot override ours.
    ``flow_file``: the name of a shared flow file in ``path``'s folder to keep the flow net in
    instead (see the module docstring). It is written if missing; an existing one must hold
    exactly these flow tensors, so writing a variant can never change its siblings' flow net.
    """
    path = Path(path)
    meta = {
        **(extra or {}),
        "format": FORMAT,
        "config": json.dumps(config.to_dict()),
        "preset": config.preset,
        "scale": str(config.scale),
        "normalisation": NORMALISATION,
    }
    if flow_file is not None:
        flow = {k: v for k, v in state.items() if k.startswith(FLOW_PREFIX)}
        state = {k: v for k, v in state.items() if k not in flow}
        meta[FLOW_FILE_KEY] = Path(flow_file).name
        meta[_FLOW_DIGEST_KEY] = _write_shared_flow(flow, config, path.parent / meta[FLOW_FILE_KEY])
    meta[_DIGEST_KEY] = tensor_digest(state)
    _write_atomically(state, meta, path)
    return path


def _write_shared_flow(flow: dict[str, torch.Tensor], config: ModelConfig, path: Path) -> str:
    """Write (or check) a shared flow file; returns its tensor checksum."""
    digest = tensor_digest(flow)
    if path.is_file():
        _, meta = _read_tensors(path)
        if meta.get("format") != FLOW_FORMAT or meta.get(_DIGEST_KEY) != digest:
            raise CheckpointError(
                f"{path} already holds another flow net than this model's; the weights sharing it would change"
            )
        return digest
    meta = {"format": FLOW_FORMAT, "preset": config.preset, "scale": str(config.scale), _DIGEST_KEY: digest}
    _write_atomically(flow, meta, path)
    return digest


def _write_atomically(state: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside, then renamed over: a run stopped mid-save (a time limit) keeps a whole file.
    partial = path.with_name(path.name + ".partial")
    try:
        save_file(state, str(partial), metadata=meta)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # only left when the rename failed (e.g. path is a folder)


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


def _read_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A safetensors file's tensors, checked against the checksum stored with them, and its metadata."""
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
    return state, meta


def _read_shared_flow(path: Path, meta: dict[str, str]) -> dict[str, torch.Tensor]:
    """The flow tensors that ``path`` (with metadata ``meta``) keeps in its shared flow file."""
    flow_path = path.resolve().parent / meta[FLOW_FILE_KEY]  # beside the file itself, not a link to it
    if not flow_path.is_file():
        raise CheckpointError(
            f"{path} keeps its flow net in {flow_path.name}, which is not beside it: copy both files together "
            "('python -m vsstvun convert FILE OUT', run where both are, writes one file that stands alone)"
        )
    flow, flow_meta = _read_tensors(flow_path)
    if flow_meta.get(_DIGEST_KEY) != meta.get(_FLOW_DIGEST_KEY):
        raise CheckpointError(f"{flow_path} is not the flow net {path.name} was written with")
    return flow


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    state, meta = _read_tensors(path)
    if meta.get("format") == FLOW_FORMAT:
        raise CheckpointError(f"{path} holds only the flow net that packaged weights share; load one of those files")
    if FLOW_FILE_KEY in meta:
        state |= _read_shared_flow(path, meta)
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
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a weights file")
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
    "FLOW_FILE_KEY",
    "FLOW_FORMAT",
    "FLOW_PREFIX",
    "CheckpointError",
    "load_checkpoint",
    "normalise_keys",
    "save_checkpoint",
    "tensor_digest",
    "write_state",
]
