"""Training samples for STVUN: 8 LR frames, HR targets for X3/X4 and for times 3 + t in between.

A sample is a dict of float tensors in [0, 1]:

* ``lr`` (8, 3, h, w): X0..X7 (the model's window is X0..X6; X7 serves X4's own window)
* ``hr_centre`` (3, H, W): Y3, target of the space-only output
* ``hr_next`` (3, H, W): Y4
* ``ts`` (K,): target times t in (0, 1) between X3 and X4, ascending
* ``hr_t`` (K, 3, H, W): HR frames at 3 + t
* ``lr_t`` (K, 3, h, w): their LR versions (for the LR-warp loss)

Where the frames come from:

* video: inputs are every ``d``-th frame (``d`` in ``strides``), so the frames in between are
  ground truth at t = j / d (d = 2 gives 1/2, d = 4 gives 1/4, 1/2, 3/4). Windows never straddle
  a scene cut. Clips are decoded once into memory and only cropped per sample, so two cores
  spend their time on the network, not on decoding.
* stills: a fresh :class:`~vsstvun.data.synthetic.SyntheticScene` per sample, rendered at
  integer times and at K uniformly random t, so any Tin is supervised.
* clip art (``cel:FOLDER``): the same for cartoon scenes (:mod:`vsstvun.data.cel`), drawings of
  the training side of the clip-art split over painted backgrounds or the stills, at one of
  ``cel_strides`` animation frames between inputs: at 1 a drawing held on twos changes at most
  once per pair and the in-between frame shows X3's drawing; at 2 (a cartoon decimated to half
  its rate, as the evaluation's cel rows are) it may show either side's; at 3 or more, one that
  neither input shows.

LR frames are made per sample by :func:`~vsstvun.data.degrade.degrade` *after* the spatial
augmentation: flipping an LR image is not the LR of the flipped HR image (decimation keeps pixel
0, which a flip moves to the far side). The HR crop carries a margin of context that is cut off
after blurring, so patch borders see real neighbours instead of reflect padding.

Every sample is a pure function of ``(seed, epoch, index)``, whichever worker makes it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from . import clipart
from .cel import cel_scene
from .codec import RealSources, apply_degradation, to_uint8
from .degrade import degrade, kernel_params, margin
from .shots import CUT_THRESHOLD, shot_ids
from .synthetic import CENTRE_TIME, MotionRange, SyntheticScene
from .video import IMAGE_SUFFIXES, list_images, read_image, read_video

log = logging.getLogger(__name__)

WINDOW = 8
CENTRE = 3
#: Random stream of :meth:`STVUNDataset.validation_split` (training draws from stream 0).
VALIDATION_STREAM = 1


@dataclass(frozen=True)
class SampleConfig:
    """Shape and content of training samples."""

    scale: int = 4
    #: HR patch side; the LR patch is ``patch // scale``.
    patch: int = 128
    #: Intermediate targets per sample (K); fixed so that samples collate into batches.
    num_targets: int = 1
    #: Video frame steps between consecutive inputs; a step d offers d - 1 target times.
    strides: tuple[int, ...] = (2, 4)
    #: Animation frames between consecutive inputs of a cel window (see the module doc).
    cel_strides: tuple[int, ...] = (1,)
    #: Random dihedral transform (flips, 90/180/270 rotations) and time reversal.
    augment: bool = True
    motion: MotionRange = field(default_factory=MotionRange)
    #: Real-source degradations of the LR window (None: the paper's clean LR only).
    real: RealSources | None = None

    def __post_init__(self) -> None:
        if self.patch % self.scale:
            raise ValueError(f"patch {self.patch} is not a multiple of scale {self.scale}")
        if self.num_targets < 1:
            raise ValueError("num_targets must be at least 1")
        if not self.cel_strides or min(self.cel_strides) < 1:
            raise ValueError(f"cel_strides must be positive frame steps, got {self.cel_strides}")

    @property
    def side(self) -> int:
        """HR crop side including the degradation margin on both sides."""
        return self.patch + 2 * margin(self.scale)


class ClipSource(Protocol):
    """Anything that can cut a training window: HR frames ``(8 + K, side, side, 3)`` uint8
    (X0..X7, then the targets at 3 + t) and the K target times, ascending."""

    name: str

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...


class VideoClip:
    """A decoded clip (``(T, H, W, 3)`` uint8) cut into cut-free windows at each usable stride."""

    def __init__(self, frames: np.ndarray, name: str, cfg: SampleConfig, cut_threshold: float = CUT_THRESHOLD) -> None:
        self.frames, self.name, self.cfg = frames, name, cfg
        if min(frames.shape[1:3]) < cfg.side:
            raise ValueError(
                f"{name}: frames {frames.shape[2]}x{frames.shape[1]} are smaller than the {cfg.side} px crop"
            )
        shots = shot_ids(frames, cut_threshold)
        span = WINDOW - 1
        self.starts: dict[int, np.ndarray] = {}
        for d in cfg.strides:
            if d - 1 < cfg.num_targets or len(frames) <= span * d:
                continue
            ok = np.flatnonzero(shots[: len(frames) - span * d] == shots[span * d :])
            if ok.size:
                self.starts[d] = ok
        if not self.starts:
            raise ValueError(
                f"{name}: no cut-free window of {WINDOW} inputs at strides {cfg.strides} "
                f"with {cfg.num_targets} targets in {len(frames)} frames"
            )

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        strides = sorted(self.starts)
        d = strides[int(rng.integers(len(strides)))]
        first = int(rng.choice(self.starts[d]))
        steps = np.sort(rng.choice(np.arange(1, d), self.cfg.num_targets, replace=False))
        index = [first + d * k for k in range(WINDOW)] + [first + d * CENTRE + int(j) for j in steps]
        side = self.cfg.side
        y = int(rng.integers(self.frames.shape[1] - side + 1))
        x = int(rng.integers(self.frames.shape[2] - side + 1))
        return self.frames[index, y : y + side, x : x + side], (steps / d).astype(np.float32)


def window_times(stride: int) -> list[float]:
    """Scene times of X0..X7 ``stride`` apart, integers (a held drawing changes at integer times)
    centred on the scene's centre time as closely as they can be."""
    first = round(CENTRE_TIME - stride * CENTRE_TIME)
    return [float(first + stride * k) for k in range(WINDOW)]


def render_window(
    scene: SyntheticScene, rng: np.random.Generator, num_targets: int, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """A scene's frames X0..X7 (``stride`` scene time apart) and ``num_targets`` random in-between
    times after X3 (ascending, as fractions of the step)."""
    ts = np.sort(rng.uniform(0.01, 0.99, num_targets)).astype(np.float32)
    times = window_times(stride)
    return scene.render_many([*times, *(times[CENTRE] + stride * ts)]), ts


class StillPool:
    """Synthetic scenes from photos: one photo is the background, others give the sprites."""

    name = "synthetic"

    def __init__(self, stills: Sequence[np.ndarray], cfg: SampleConfig) -> None:
        if not stills:
            raise ValueError("a still pool needs at least one image")
        self.stills, self.cfg = list(stills), cfg

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        i = int(rng.integers(len(self.stills)))
        others = self.stills[:i] + self.stills[i + 1 :] or self.stills
        scene = SyntheticScene(rng, self.stills[i], others, (self.cfg.side, self.cfg.side), self.cfg.motion)
        return render_window(scene, rng, self.cfg.num_targets)


class CelPool:
    """Cartoon scenes: clip-art drawings (RGBA) over painted backgrounds or ``photos``."""

    name = "cel"

    def __init__(self, cels: Sequence[np.ndarray], photos: Sequence[np.ndarray], cfg: SampleConfig) -> None:
        if not cels:
            raise ValueError("a cel pool needs at least one drawing")
        self.cels, self.photos, self.cfg = list(cels), list(photos), cfg

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        strides = self.cfg.cel_strides
        stride = strides[int(rng.integers(len(strides)))] if len(strides) > 1 else strides[0]
        span = max(abs(t - CENTRE_TIME) for t in window_times(stride))
        scene = cel_scene(rng, self.cels, self.photos, (self.cfg.side, self.cfg.side), half_span=span)
        return render_window(scene, rng, self.cfg.num_targets, stride)


def dihedral(frames: np.ndarray, quarter_turns: int, flip: bool) -> np.ndarray:
    """Rotate ``(N, H, W, C)`` frames by 90 degrees ``quarter_turns`` times, then mirror left-right.

    The 4 x 2 combinations are the 8 symmetries of the square (vertical flip = flip + 180).
    """
    out = np.rot90(frames, quarter_turns, axes=(1, 2))
    return np.ascontiguousarray(out[:, :, ::-1] if flip else out)


def make_sample(
    frames: np.ndarray,
    ts: np.ndarray,
    scale: int,
    real: RealSources | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """The sample dict from HR crops ``(8 + K, side, side, 3)`` uint8 with margins (see module doc).

    With ``real`` (and the sample's ``rng``) the 8 input frames get a real-source degradation;
    the LR targets ``lr_t`` stay clean, since they are ground truth for the warped-LR loss.
    """
    m = margin(scale)
    lm = m // scale
    hr = torch.from_numpy(frames).permute(0, 3, 1, 2).float().div_(255)
    lr = degrade(hr, scale)[..., lm:-lm, lm:-lm]
    inputs = lr[:WINDOW]
    if real is not None:
        if rng is None:
            raise ValueError("a real-source degradation needs the sample's rng")
        inputs = _real_inputs(hr[:WINDOW], scale, real, rng, (lm, inputs.shape[-1] + lm))
    hr = hr[..., m:-m, m:-m]
    return {
        "lr": inputs.contiguous(),
        "hr_centre": hr[CENTRE].contiguous(),
        "hr_next": hr[CENTRE + 1].contiguous(),
        "ts": torch.from_numpy(np.asarray(ts, np.float32)),
        "hr_t": hr[WINDOW:].contiguous(),
        "lr_t": lr[WINDOW:].contiguous(),
    }


def _real_inputs(
    hr: torch.Tensor, scale: int, real: RealSources, rng: np.random.Generator, span: tuple[int, int]
) -> torch.Tensor:
    """LR inputs of a real-looking source: jittered blur, then noise and a codec round trip of
    the whole window (temporally coherent artifacts), cut to the LR interior ``span``."""
    a, b = span
    blur, steps = real.draw(rng, (b - a, b - a))
    _, sigma = kernel_params(scale)
    lr = degrade(hr, scale, sigma * blur)[..., a:b, a:b]
    if not steps:
        return lr
    window = to_uint8(lr.permute(0, 2, 3, 1).numpy())
    for step in steps:
        window = apply_degradation(window, step, seed=int(rng.integers(2**31)))
    return torch.from_numpy(window).permute(0, 3, 1, 2).float().div_(255)


def reverse_time(sample: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Play the window backwards: X'k = X(7-k), so X'3 = X4, X'4 = X3 and t' = 1 - t.

    Targets are reordered so ``ts`` stays ascending.
    """
    return {
        "lr": sample["lr"].flip(0),
        "hr_centre": sample["hr_next"],
        "hr_next": sample["hr_centre"],
        "ts": (1 - sample["ts"]).flip(0),
        "hr_t": sample["hr_t"].flip(0),
        "lr_t": sample["lr_t"].flip(0),
    }


class STVUNDataset(Dataset[dict[str, torch.Tensor]]):
    """``length`` random samples per epoch drawn from ``sources`` with probabilities ``weights``."""

    def __init__(
        self,
        sources: Sequence[ClipSource],
        cfg: SampleConfig,
        length: int,
        seed: int = 0,
        weights: Sequence[float] | None = None,
        recipe: Callable[[], STVUNDataset] | None = None,
    ) -> None:
        if not sources:
            raise ValueError("no training sources")
        w = np.ones(len(sources)) if weights is None else np.asarray(weights, np.float64)
        if w.shape != (len(sources),) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"need one non-negative weight per source, got {weights}")
        self.sources, self.cfg, self.length, self.seed = list(sources), cfg, length, seed
        self.weights = w / w.sum()
        self.epoch = 0
        #: Random stream: 0 for training; a validation split draws from its own (see below).
        self.stream = 0
        #: How to build ``sources`` again from their files (:func:`build_training_set` sets it),
        #: which is what the dataset pickles as instead of its pixels: see :meth:`__getstate__`.
        self.recipe = recipe

    def __getstate__(self) -> dict[str, object]:
        """Pickled for a DataLoader worker, a dataset with a recipe carries the recipe, not its
        decoded clips, photos and drawings (469 MB for the GPU set). Spawned workers are started
        one after another, each only once it has read its pickle: 14 workers took 60 s to start
        on a GPU machine when each got the pixels, while building the set from the files takes 5 s
        (the GPU pack, on this project's 2-core VM), in every worker at once. The sources travel
        as their inventory (:func:`_inventory`), which the rebuilt set must match."""
        state = dict(self.__dict__)
        if self.recipe is not None:
            state["sources"] = _inventory(state["sources"])
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        if state["recipe"] is not None:
            level = log.level  # what the build warns of (skipped clips), it warned of where it first ran
            log.setLevel(logging.ERROR)
            try:
                built = state["recipe"]()  # type: ignore[operator]
            finally:
                log.setLevel(level)
            # A clip decoded to another length here (or a file changed since) would draw other windows.
            if (found := _inventory(built.sources)) != state["sources"]:
                raise RuntimeError(
                    f"the training set built again from its files differs from the one it was pickled "
                    f"from: {found} against {state['sources']}"
                )
            state = {**state, "sources": built.sources}
        self.__dict__.update(state)

    def set_epoch(self, epoch: int) -> None:
        """Draw a different (but still reproducible) set of samples."""
        self.epoch = epoch

    def validation_split(self, length: int) -> STVUNDataset:
        """``length`` windows from the same sources, mix and degradations, drawn from a random
        stream of their own, independent of this dataset's draws whatever its length or epoch.

        Not held-out data: a video window may overlap training windows of the same frames, and
        photo and cel scenes reuse the same pictures in new compositions. It measures how well a
        run fits its own distribution on fixed draws; held-out clips are the evaluation's job."""
        val = STVUNDataset(self.sources, self.cfg, length, self.seed, self.weights, self.recipe)
        val.stream = VALIDATION_STREAM
        return val

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(index)
        # The training stream keeps its original key, so runs from before the split draw the same.
        key = [self.seed, self.epoch, index] + ([self.stream] if self.stream else [])
        rng = np.random.default_rng(key)
        source = self.sources[int(rng.choice(len(self.sources), p=self.weights))]
        frames, ts = source.sample(rng)
        if self.cfg.augment:
            frames = dihedral(frames, int(rng.integers(4)), bool(rng.integers(2)))
        sample = make_sample(frames, ts, self.cfg.scale, self.cfg.real, rng)
        if self.cfg.augment and rng.integers(2):
            sample = reverse_time(sample)
        return sample


def _inventory(sources: Sequence[ClipSource]) -> list[tuple[str, int]]:
    """Each source's name and size (a clip's frames, a pool's pictures): what a set rebuilt from
    its recipe must match."""
    sizes = {VideoClip: "frames", StillPool: "stills", CelPool: "cels"}
    return [(s.name, len(getattr(s, sizes[type(s)]))) if type(s) in sizes else (s.name, -1) for s in sources]


def _kind(spec: str | Path) -> tuple[str, Path]:
    """Classify a source: ``video``, ``frames`` (folder of one clip), ``stills`` (folder), ``still``
    or ``cel`` (clip art: openclipart's SVG root, or a folder of rendered PNGs; always prefixed).

    A ``frames:`` or ``stills:`` prefix forces the folder kind. Otherwise a folder is a clip's
    frames when its image names differ only in their digits (``0001.png``, ``frame_0002.png``,
    ...), which needs no decoding, and a folder of stills when they don't.
    """
    text = str(spec)
    for kind in ("frames", "stills", "cel"):
        if text.startswith(kind + ":"):
            return kind, Path(text[len(kind) + 1 :])
    path = Path(text)
    if path.is_dir():
        patterns = {re.sub(r"\d+", "#", p.name) for p in list_images(path)}
        return ("frames" if len(patterns) == 1 and "#" in next(iter(patterns)) else "stills"), path
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "still", path
    return "video", path


def fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` area-downscaled so its long side is at most ``max_side`` (bounds memory)."""
    f = max_side / max(image.shape[:2])
    if f < 1:
        image = cv2.resize(image, (round(image.shape[1] * f), round(image.shape[0] * f)), interpolation=cv2.INTER_AREA)
    return image


def load_still(path: str | Path, max_side: int = 2048) -> np.ndarray:
    """A photo as RGB uint8, its long side at most ``max_side``."""
    return fit(read_image(path), max_side)


def load_cels(spec: str | Path, max_side: int) -> list[np.ndarray]:
    """The training side of the clip-art split (see :func:`vsstvun.data.clipart.layer_files`) as
    RGBA ``uint8`` drawings, at most ``max_side`` long: a layer never needs more than the crop."""
    return [fit(clipart.read_layer(p), max_side) for p in clipart.layer_files(spec, training=True)]


def build_training_set(
    sources: Sequence[str | Path],
    cfg: SampleConfig = SampleConfig(),
    length: int = 10_000,
    seed: int = 0,
    hold_out: int = 0,
    synthetic_fraction: float = 0.5,
    max_still_side: int = 2048,
    cel_fraction: float = 0.25,
) -> STVUNDataset:
    """A dataset from video files, frame folders, still folders, still images (pooled) and clip art.

    A source is a path, optionally prefixed ``frames:`` or ``stills:`` to say what a folder holds
    (see :func:`_kind` for the guess without a prefix), or ``cel:FOLDER`` for clip art.

    ``hold_out`` drops the final frames of every clip (kept for evaluation, see
    :mod:`vsstvun.data.sources`). Clips too small for the crop are skipped with a warning. Clips
    are drawn in proportion to their frame counts; the still pool, when there is one, gets
    ``synthetic_fraction`` of the samples and the cel pool ``cel_fraction`` (pools alone share all
    samples in that ratio).
    """
    clips: list[VideoClip] = []
    stills: list[np.ndarray] = []
    cels: list[np.ndarray] = []
    for spec in sources:
        kind, path = _kind(spec)
        if kind == "cel":
            cels += load_cels(path, cfg.side)
        elif kind in ("video", "frames"):
            frames = read_video(path)
            if hold_out:
                if hold_out >= len(frames):
                    raise ValueError(f"{path}: hold_out={hold_out} leaves none of its {len(frames)} frames")
                frames = frames[: len(frames) - hold_out].copy()
            if min(frames.shape[1:3]) < cfg.side:
                h, w = frames.shape[1:3]
                log.warning("skipping %s: its %dx%d frames are smaller than the %d px crop", path, w, h, cfg.side)
                continue
            clips.append(VideoClip(frames, path.name, cfg))
        elif kind == "stills":
            images = list_images(path)
            if not images:  # a mistyped or empty folder would otherwise drop out of the mix unnoticed
                raise ValueError(f"source {spec}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {path}")
            stills += [load_still(p, max_still_side) for p in images]
        else:
            stills.append(load_still(path, max_still_side))
    pools: list[tuple[ClipSource, float]] = []
    if stills:
        pools.append((StillPool(stills, cfg), synthetic_fraction))
    if cels:
        pools.append((CelPool(cels, stills, cfg), cel_fraction))
    all_sources: list[ClipSource] = [*clips, *(pool for pool, _ in pools)]
    pool_share = sum(share for _, share in pools)
    if clips and pool_share >= 1:
        raise ValueError(f"synthetic and cel fractions ({pool_share:g}) leave no samples for the video clips")
    counts = [float(len(c.frames)) for c in clips]
    video_share = 1 - pool_share if clips else 0.0
    weights = [n / sum(counts) * video_share for n in counts]
    weights += [share / (pool_share or 1) * (1 - video_share) for _, share in pools]
    recipe = partial(
        build_training_set,
        tuple(sources),
        cfg,
        length,
        seed,
        hold_out=hold_out,
        synthetic_fraction=synthetic_fraction,
        max_still_side=max_still_side,
        cel_fraction=cel_fraction,
    )
    return STVUNDataset(all_sources, cfg, length, seed, weights if pools else counts, recipe)


def one_thread_worker(_: int) -> None:
    """DataLoader workers draw windows in parallel already: OpenCV's own thread pool in each of
    them (as many threads as cores, per worker) would only oversubscribe the CPU. It lives here, not
    in the training script, because spawned workers import it by module name."""
    import cv2

    cv2.setNumThreads(1)
