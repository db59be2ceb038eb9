"""Training data for STVUN: degradation, video decoding, synthetic scenes, samples, media sources.

The submodules ``degrade`` and ``video`` are imported by name (their main functions are not
re-exported here, where they would shadow the modules).
"""

from .dataset import SampleConfig, STVUNDataset, build_training_set, reverse_time
from .synthetic import Motion, MotionRange, SyntheticScene

__all__ = [
    "Motion",
    "MotionRange",
    "STVUNDataset",
    "SampleConfig",
    "SyntheticScene",
    "build_training_set",
    "reverse_time",
]
