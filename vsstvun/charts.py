"""Charts written as small palette PNGs.

The loss curves and bar charts are flat colours, lines and text: a 64-colour palette keeps them
visually unchanged at about a third of the size of matplotlib's truecolour PNG. That matters
because every chart committed to the repository travels in the 64 MiB a GPU device call carries
beside the training data (``scripts/gpu_pack.sh``). Pictures of video frames (the evaluation's
crops) are not charts and stay truecolour, so they show exactly what the models made; they lose
only matplotlib's alpha channel, which is opaque everywhere (:func:`opaque_png`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is a train-extra import; this module stays importable without it
    from matplotlib.figure import Figure

#: Colours kept: the plots use fewer than ten line and bar colours plus their anti-aliasing.
CHART_COLOURS = 64


def compact_png(path: str | Path, colours: int = CHART_COLOURS) -> Path:
    """Rewrite the PNG at ``path`` with a ``colours``-entry palette (median cut, no dithering)."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    rgb.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, "PNG", optimize=True)
    return Path(path)


def opaque_png(path: str | Path) -> Path:
    """Rewrite the PNG at ``path`` as truecolour RGB without its alpha channel, which must be
    opaque everywhere (matplotlib writes RGBA): the same pixels in about 6 % fewer bytes."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
    if image.mode == "RGBA":
        if image.getchannel("A").getextrema() != (255, 255):
            raise ValueError(f"{path}: not opaque everywhere; dropping its alpha would change it")
        image = image.convert("RGB")
    image.save(path, "PNG", optimize=True)
    return Path(path)


def save_chart(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """``fig.savefig``, as a palette PNG when ``path`` names a PNG (see the module docstring for
    why); other formats matplotlib writes (SVG, PDF) are left as they are."""
    fig.savefig(path, dpi=dpi)
    return compact_png(path) if Path(path).suffix.lower() == ".png" else Path(path)
