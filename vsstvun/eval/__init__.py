"""The paper's evaluation protocol (``python -m vsstvun.eval``) with classical baselines."""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .methods import BicubicBlend, BicubicFlow, Method, ModelMethod
    from .protocol import evaluate

__getattr__ = lazy_exports(
    __name__,
    dict.fromkeys(("BicubicBlend", "BicubicFlow", "Method", "ModelMethod"), ".methods") | {"evaluate": ".protocol"},
)

__all__ = ["BicubicBlend", "BicubicFlow", "Method", "ModelMethod", "evaluate"]
