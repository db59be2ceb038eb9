"""vsstvun: STVUN space-time video upsampling as a VapourSynth filter.

Layers, each importing only those below it:

- ``model``: the network and its ops (warp, correlation, CUDA kernels) and checkpoint files;
  self-contained, needs only torch.
- ``weights``: the packaged weights and :func:`load_model`.
- ``filter``: the VapourSynth filter (graph, timing, window cache, streams, tiles).
- ``data``, ``train``, ``eval``, ``bench``: training data, training, evaluation, benchmarks.
- ``cli``: ``python -m vsstvun`` (info, convert, verify).

``stvun`` and ``load_model`` are imported lazily so that the model, training and evaluation
code can be used where VapourSynth is not installed; the ``TYPE_CHECKING`` imports give type
checkers and IDEs their real signatures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

# The one place the version is written: pyproject.toml reads it from here (hatch's version source).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .filter.plugin import stvun
    from .weights import load_model

__getattr__ = lazy_exports(__name__, {"stvun": ".filter.plugin", "load_model": ".weights"})

__all__ = ["__version__", "load_model", "stvun"]
