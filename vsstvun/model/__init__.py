"""STVUN model: configuration presets, network and the encode/synthesize API."""

from .config import PRESETS, ModelConfig, preset_config
from .stvun import SIZE_MULTIPLE, STVUN, WindowState


def build_model(preset: str = "lite", scale: int = 4) -> STVUN:
    """A freshly initialised network of a named preset at scale 2 or 4."""
    return STVUN(preset_config(preset, scale))


__all__ = ["PRESETS", "SIZE_MULTIPLE", "STVUN", "ModelConfig", "WindowState", "build_model", "preset_config"]
