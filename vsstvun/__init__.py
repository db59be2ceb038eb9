"""vsstvun: STVUN space-time video upsampling as a VapourSynth filter.

``vsstvun.stvun`` is imported lazily so that the model, training and evaluation code can be used
where VapourSynth is not installed.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "stvun":
        from .filter import stvun

        return stvun
    raise AttributeError(f"module 'vsstvun' has no attribute {name!r}")


__all__ = ["stvun", "__version__"]
