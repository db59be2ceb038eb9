"""The paper's evaluation protocol (``python -m vsstvun.eval``) with classical baselines."""

from .methods import BicubicBlend, BicubicFlow, Method, ModelMethod
from .protocol import evaluate

__all__ = ["BicubicBlend", "BicubicFlow", "Method", "ModelMethod", "evaluate"]
