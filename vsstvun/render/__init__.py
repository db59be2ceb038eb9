"""Scale-out rendering: a script's output in chunks on many GPUs or machines (Ray), joined losslessly.

Modules, each with one job: ``plan`` (chunk borders, snapped to cuts; pure), ``probe`` (the
script's length, rate and cuts), ``codec`` (encoder and join command lines; pure), ``worker``
(one chunk: ``vspipe | ffmpeg``, verified), ``manifest`` (finished chunks, for ``--resume``),
``join``, ``cluster`` (Ray and worker sizing), ``driver`` (the job), ``cli``.

Ray is imported only when a render starts (``pip install 'vsstvun[render]'``).
"""

from .driver import RenderJob, RenderSummary, render
from .tools import RenderError

__all__ = ["RenderError", "RenderJob", "RenderSummary", "render"]
