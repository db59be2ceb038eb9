"""The packaged weights: where each preset's file lives and the one call that loads a network
ready for inference, from these files or any checkpoint a user points to."""

from __future__ import annotations

from pathlib import Path

import torch

from ..model import STVUN, preset_config
from ..model.checkpoint import CheckpointError, load_checkpoint
from ..model.precision import DTYPES, resolve_precision

WEIGHTS_DIR = Path(__file__).resolve().parent


def default_weights_path(preset: str, scale: int) -> Path:
    """Where the packaged weights of a preset live."""
    return WEIGHTS_DIR / f"stvun_{preset}_x{scale}.safetensors"


def load_model(
    model: str = "lite",
    scale: int = 4,
    model_path: str | Path | None = None,
    device: str | torch.device = "cpu",
    precision: str = "auto",
) -> STVUN:
    """Inference-ready network: packaged weights of a preset, or any file via ``model_path``.

    ``precision``: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only), see
    :mod:`vsstvun.model.precision`; feed the network frames of its ``input_dtype``.
    """
    dtype = DTYPES[resolve_precision(precision, torch.device(device))]
    if model_path is None:
        preset_config(model, scale)  # raises a clear error for an unknown preset or scale
        model_path = default_weights_path(model, scale)
        if not model_path.is_file():
            raise FileNotFoundError(
                f"no packaged weights for model {model!r} at x{scale} ({model_path.name}); "
                f"train them with 'python -m vsstvun.train' or pass model_path="
            )
    net = load_checkpoint(model_path, map_location=device).eval().requires_grad_(False)
    if net.scale != scale:
        raise CheckpointError(f"{model_path} is an x{net.scale} model but scale={scale} was asked for")
    return net.set_precision(dtype)


__all__ = ["WEIGHTS_DIR", "default_weights_path", "load_model"]
