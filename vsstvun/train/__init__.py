"""Two-stage STVUN training (``python -m vsstvun.train``; needs the ``train`` extra)."""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .loop import TrainConfig, train

__getattr__ = lazy_exports(__name__, {"TrainConfig": ".loop", "train": ".loop"})

__all__ = ["TrainConfig", "train"]
