"""Which device the filter runs on, and telling the user, once, when that is not the fast path.

``device_index``: ``None`` picks CUDA device 0 when torch sees one, else the CPU; an index picks
that CUDA device; ``-1`` picks the CPU (the ``device=-1`` convention of Hugging Face pipelines).
Falling back to the CPU without being asked is worth a warning in VapourSynth's log: a missing
CUDA build of torch otherwise shows up only as a filter a hundred times slower than expected.
"""

from __future__ import annotations

import functools

import torch
import vapoursynth as vs

from ..model.ops.warp import cupy_available, get_backend

#: ``device_index`` value that chooses the CPU explicitly (and silences the fallback warning).
CPU = -1


def select_device(device_index: int | None) -> torch.device:
    """The torch device for ``device_index`` (see the module docstring); raises ``ValueError``
    naming the parameter for indices that do not exist here."""
    if device_index == CPU:
        return torch.device("cpu")
    if device_index is None:
        if not torch.cuda.is_available():
            why = (
                f"torch {torch.__version__} is a CPU-only build (install a CUDA build of torch)"
                if torch.version.cuda is None
                else f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no CUDA device or driver"
            )
            warn_once(
                f"vsstvun: {why}, so the filter runs on the CPU, which is very slow. "
                f"Pass device_index={CPU} to choose the CPU and hide this message."
            )
            return torch.device("cpu")
        device_index = 0
    if device_index < 0:
        raise ValueError(f"device_index must be None, {CPU} (CPU) or a CUDA device index, got {device_index}")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device_index={device_index} asks for CUDA, which torch does not see; use device_index={CPU} for the CPU"
        )
    if device_index >= torch.cuda.device_count():
        raise ValueError(
            f"device_index={device_index} is out of range (found {torch.cuda.device_count()} CUDA devices)"
        )
    if get_backend() == "auto" and not cupy_available():
        warn_once(
            "vsstvun: CuPy not found, so warping and correlation use torch's grid_sample (slower). "
            "Install the CuPy matching torch's CUDA major (pip install 'vsstvun[cuda13]' or 'vsstvun[cuda12]'), "
            "or call vsstvun.model.ops.warp.set_backend('torch') to choose torch and hide this message."
        )
    return torch.device("cuda", device_index)


@functools.cache
def warn_once(message: str) -> None:
    """Log ``message`` as a VapourSynth warning, once per process (vspipe prints it; editors show it)."""
    vs.core.log_message(vs.MESSAGE_TYPE_WARNING, message)
