"""The packaged weights: where each named set lives and the one call that loads a network ready
for inference, from these files or any checkpoint a user points to.

A packaged name is a preset's architecture plus what it was trained on: ``lite`` (the default)
has seen real-source degradations (codec round trips, noise, blur jitter) beside the paper's
clean blur + decimation, and ``lite-clean`` only the clean ones (both at x4 and x2).
``lite-real`` (x4 and x2) is ``lite`` trained on degraded windows only: one network could not be
best at both ends, and this one wins on heavily compressed sources and on drawn (anime-style)
ones, clean or not, while it loses on clean live action (docs/quality.md, "Which weights").
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ..model import STVUN, preset_config
from ..model.checkpoint import CheckpointError, load_checkpoint
from ..model.config import check_flow_refine, whole_number
from ..model.precision import DTYPES, resolve_precision

WEIGHTS_DIR = Path(__file__).resolve().parent


#: Packaged weights name -> the preset (architecture) its files hold.
PACKAGED = {"lite": "lite", "lite-clean": "lite", "lite-real": "lite"}


def default_weights_path(name: str, scale: int) -> Path:
    """Where the packaged weights ``name`` at ``scale`` live (the file may not exist)."""
    return WEIGHTS_DIR / f"stvun_{name.replace('-', '_')}_x{scale}.safetensors"


def packaged_scales(name: str) -> list[int]:
    """The scales at which ``name`` ships."""
    return [s for s in (2, 4) if default_weights_path(name, s).is_file()]


def load_model(
    model: str = "lite",
    scale: int = 4,
    model_path: str | Path | None = None,
    device: str | torch.device = "cpu",
    precision: str = "auto",
    flow_refine: int | None = None,
) -> STVUN:
    """Inference-ready network: packaged weights ``model`` (see :data:`PACKAGED`), or any file
    via ``model_path``.

    ``precision``: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only), see
    :mod:`vsstvun.model.precision`; feed the network frames of its ``input_dtype``.
    ``flow_refine``: the photometric flow clean-up window instead of the file's own
    (:attr:`~vsstvun.model.config.ModelConfig.flow_refine`; 0 turns it off).
    """
    scale = whole_number("scale", scale)
    if flow_refine is not None:  # checked before the file is read
        flow_refine = check_flow_refine(flow_refine)
    dtype = DTYPES[resolve_precision(precision, torch.device(device))]
    if model_path is None:
        if model not in PACKAGED:
            raise ValueError(f"unknown model {model!r}; packaged: {sorted(PACKAGED)}, or pass model_path=")
        preset_config(PACKAGED[model], scale)  # raises a clear error for an unknown scale
        model_path = default_weights_path(model, scale)
        if not model_path.is_file():
            raise FileNotFoundError(
                f"no packaged weights for model {model!r} at x{scale} ({model_path.name}; it ships at "
                f"x{packaged_scales(model)}); train them with 'python -m vsstvun.train' or pass model_path="
            )
    net = load_checkpoint(model_path, map_location=device).eval().requires_grad_(False)
    if net.scale != scale:
        raise CheckpointError(f"{model_path} is an x{net.scale} model but scale={scale} was asked for")
    if flow_refine is not None:
        net.config = dataclasses.replace(net.config, flow_refine=flow_refine)
    return net.set_precision(dtype)


__all__ = ["PACKAGED", "WEIGHTS_DIR", "default_weights_path", "load_model", "packaged_scales"]
