"""Two-stage STVUN training (``python -m vsstvun.train``)."""

from .loop import TrainConfig, train

__all__ = ["TrainConfig", "train"]
