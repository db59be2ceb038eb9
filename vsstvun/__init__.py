"""vsstvun: STVUN space-time video upsampling as a VapourSynth filter.

Layers, each importing only those below it:

- ``model``: the network and its ops (warp, correlation, CUDA kernels) and checkpoint files;
  self-contained, needs only torch.
- ``weights``: the packaged weights and :func:`load_model`.
- ``filter``: the VapourSynth filter (graph, timing, window cache, streams, tiles).
- ``data``, ``train``, ``eval``, ``bench``: training data, training, evaluation, benchmarks.

``stvun`` and ``load_model`` are imported lazily so that the model, training and evaluation
code can be used where VapourSynth is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .filter.plugin import stvun
    from .weights import load_model


def __getattr__(name: str) -> Any:
    if name == "stvun":
        from .filter.plugin import stvun

        return stvun
    if name == "load_model":
        from .weights import load_model

        return load_model
    raise AttributeError(f"module 'vsstvun' has no attribute {name!r}")


__all__ = ["__version__", "load_model", "stvun"]
