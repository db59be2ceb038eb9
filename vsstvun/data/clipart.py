"""Clip art as anime-style foreground layers: SVGs rendered once to RGBA PNGs, with a fixed split.

Anime and cartoons are flat colours inside sharp dark outlines, moving as separate cels over a
painted background -- content that photo sprites (soft-edged ellipses, see
:mod:`vsstvun.data.synthetic`) never show. Debian's ``openclipart-svg`` (CC0) has thousands of
such drawings as vectors, so layers have exact ground truth and sharp outlines at any size.

Rendering: ``rsvg-convert`` draws each SVG with its alpha channel, the page is cropped to the
drawing's bounding box, and the drawing is re-rendered larger when the crop would be smaller than
the cache size, so a cached layer is never magnified: its long side is exactly
:data:`CACHE_SIDE` px (to rounding; scaling down with area averaging keeps outlines sharp). Files that fail to
render, or are not cut-out drawings (an opaque rectangle, or hairlines covering almost nothing),
are listed in ``rejected.txt`` in the cache and skipped from then on.

Split (documented, fixed): a drawing is held out of training when the first byte of the SHA-1 of
its file stem is below :data:`HOLD_OUT_BELOW` (about 1 in 8). The held-out cel clip for
evaluation (``python -m vsstvun.data.cel``) uses only held-out drawings, training only the
others; cached PNGs keep the SVG's stem, so the split holds for a packed cache folder too.
Only :data:`CATEGORIES` are used (characters, animals, food, vehicles, plants, houses: what cels
show; 1461 files, 198 held out), one file per stem (the package files many drawings under two
categories).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

CLIPART_ROOT = Path("/usr/share/openclipart/svg")
DEFAULT_CACHE = Path.home() / ".cache" / "vsstvun" / "clipart"
CATEGORIES = ("animals", "buildings", "food", "people", "plants", "transportation")
#: Long side of a cached layer in px.
CACHE_SIDE = 512
#: A stem whose SHA-1 starts with a byte below this is held out of training (32 / 256 = 1 in 8).
HOLD_OUT_BELOW = 32
#: Share of its bounding box a usable drawing's alpha covers: not a hairline, not a rectangle.
COVERAGE = (0.08, 0.97)
REJECTED = "rejected.txt"


def held_out(stem: str) -> bool:
    """Whether the drawing named ``stem`` (file name without suffix) is kept out of training."""
    return hashlib.sha1(stem.encode()).digest()[0] < HOLD_OUT_BELOW


def split(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """``(training, held_out)`` by :func:`held_out` of each file's stem, both sorted by stem."""
    ordered = sorted(paths, key=lambda p: p.stem)
    return [p for p in ordered if not held_out(p.stem)], [p for p in ordered if held_out(p.stem)]


def list_svgs(root: str | Path = CLIPART_ROOT, categories: Sequence[str] = CATEGORIES) -> list[Path]:
    """One SVG per stem under the ``categories`` of ``root`` (the first in path order), by stem."""
    seen: dict[str, Path] = {}
    for category in categories:
        for path in sorted((Path(root) / category).rglob("*.svg")):
            seen.setdefault(path.stem, path)
    return [seen[s] for s in sorted(seen)]


def _rsvg(svg: Path, box: int, out: Path) -> np.ndarray | None:
    cmd = ["rsvg-convert", "-a", "-w", str(box), "-h", str(box), "-f", "png", "-o", str(out), str(svg)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None
    image = cv2.imread(str(out), cv2.IMREAD_UNCHANGED) if done.returncode == 0 else None
    return image if image is not None and image.ndim == 3 and image.shape[2] == 4 else None


def _bbox(alpha: np.ndarray) -> tuple[slice, slice] | None:
    ys, xs = np.nonzero(alpha)
    if ys.size == 0:
        return None
    return slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)


def render_svg(svg: str | Path, side: int = CACHE_SIDE) -> np.ndarray | None:
    """The drawing of ``svg`` as RGBA ``uint8`` cropped to its alpha and ``side`` px on its long
    side, rendered at that size or larger (never magnified); ``None`` if it is not a usable layer."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "layer.png"
        box = side
        for _ in range(4):  # again, larger, while the drawing fills only part of its page
            bgra = _rsvg(Path(svg), box, out)
            crop = _bbox(bgra[..., 3]) if bgra is not None else None
            if crop is None:
                return None
            bgra = bgra[crop]
            long = max(bgra.shape[:2])
            if long >= side or box >= 16 * side:
                break
            box = int(np.ceil(box * side / long * 1.05)) + 2
    h, w = bgra.shape[:2]
    f = side / max(h, w)
    if f < 1:
        bgra = cv2.resize(bgra, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    coverage = float((bgra[..., 3] > 127).mean())
    if not COVERAGE[0] <= coverage <= COVERAGE[1] or min(bgra.shape[:2]) < side // 8:
        return None
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


def render_cache(
    svgs: Sequence[Path], cache_dir: str | Path = DEFAULT_CACHE, side: int = CACHE_SIDE, workers: int = 2
) -> list[Path]:
    """Render the not yet cached ``svgs`` into ``cache_dir/<side>/STEM.png``; returns the PNGs of
    all usable ones (rejects are remembered in ``rejected.txt``)."""
    folder = Path(cache_dir) / str(side)
    folder.mkdir(parents=True, exist_ok=True)
    rejected_file = folder / REJECTED
    rejected = set(rejected_file.read_text().split()) if rejected_file.is_file() else set()
    todo = [s for s in svgs if s.stem not in rejected and not (folder / f"{s.stem}.png").is_file()]

    def one(svg: Path) -> str | None:
        rgba = render_svg(svg, side)
        if rgba is None:
            return svg.stem
        # renamed when complete: an interrupted run leaves no bad PNG, two runs don't collide
        partial = folder / f"{svg.stem}.{os.getpid()}.{threading.get_ident()}.part.png"
        cv2.imwrite(str(partial), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
        partial.replace(folder / f"{svg.stem}.png")
        return None

    with ThreadPoolExecutor(workers) as pool:
        new = [stem for stem in pool.map(one, todo) if stem is not None]
    if new:
        rejected_file.write_text("".join(f"{s}\n" for s in sorted(rejected | set(new))))
    return [folder / f"{s.stem}.png" for s in svgs if (folder / f"{s.stem}.png").is_file()]


def cached_layers(folder: str | Path, training: bool = True) -> list[Path]:
    """The cached PNGs of ``folder`` on one side of the split (training or held out), by stem."""
    train, held = split(p for p in Path(folder).glob("*.png") if not p.name.endswith(".part.png"))
    return train if training else held


def read_layer(path: str | Path) -> np.ndarray:
    """A cached layer as RGBA ``uint8``."""
    bgra = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
        raise ValueError(f"{path} is not an RGBA image")
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


def layer_files(
    spec: str | Path, training: bool, cache_dir: str | Path = DEFAULT_CACHE, side: int = CACHE_SIDE
) -> list[Path]:
    """Rendered PNGs of one side of the split (training or held out) for a ``cel:`` source.

    A folder of PNGs (a rendered cache, e.g. packed for a GPU machine) is used as it is. A folder of
    SVGs (searched recursively, restricted to :data:`CATEGORIES` when it is the package's root) is
    rendered into the cache first, which takes minutes the first time.
    """
    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(f"no clip-art folder {path}")
    if any(path.glob("*.png")):
        return cached_layers(path, training)
    categories = [c for c in CATEGORIES if (path / c).is_dir()]
    svgs = list_svgs(path, categories) if categories else sorted(path.rglob("*.svg"), key=lambda p: p.stem)
    if not svgs:
        raise FileNotFoundError(f"no SVG or PNG files in {path}")
    return render_cache(split(svgs)[0 if training else 1], cache_dir, side)


__all__ = [
    "CACHE_SIDE",
    "CATEGORIES",
    "CLIPART_ROOT",
    "HOLD_OUT_BELOW",
    "cached_layers",
    "held_out",
    "layer_files",
    "list_svgs",
    "read_layer",
    "render_cache",
    "render_svg",
    "split",
]
