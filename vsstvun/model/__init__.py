"""STVUN model: configuration presets, network and the encode/synthesize API."""

import dataclasses

from .config import PRESETS, ModelConfig, preset_config
from .stvun import SIZE_MULTIPLE, STVUN, PairFlows, WindowState


def build_model(preset: str = "lite", scale: int = 4, **overrides: object) -> STVUN:
    """A freshly initialised network of a named preset at scale 2 or 4, with any config fields
    replaced by ``overrides`` (e.g. ``flow_upsample=4``)."""
    return STVUN(dataclasses.replace(preset_config(preset, scale), **overrides))


__all__ = [
    "PRESETS",
    "SIZE_MULTIPLE",
    "STVUN",
    "ModelConfig",
    "PairFlows",
    "WindowState",
    "build_model",
    "preset_config",
]
