"""Shared fixtures for the VapourSynth filter tests: synthetic clips and model stand-ins.

Clips are generated from numpy (no media files); models are either a random-init ``lite``
checkpoint (the real network, exercised end to end) or :class:`FakeModel`, whose output is a
known function of its input so that tests can check exactly which frames and times were used. Test modules import the
plain helpers from here (``from conftest import make_clip``).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from vsstvun.model import preset_config

try:
    import vapoursynth as vs
except ImportError:  # a lent GPU machine carries no VapourSynth: the model-level CUDA tests run there alone
    vs = None


def moving_frames(n: int, width: int = 64, height: int = 48, seed: int = 0) -> list[np.ndarray]:
    """``n`` distinct ``(3, H, W)`` frames of one shot: a smooth random texture panning right.

    Consecutive frames differ far less than the scene-cut threshold; two seeds give two shots.
    """
    rng = np.random.default_rng(seed)
    coarse = rng.random((3, height // 8 + 2, width // 8 + 2), dtype=np.float32)
    texture = np.kron(coarse, np.ones((8, 8), np.float32))[:, :height, :]
    texture = np.concatenate([texture] * (width // texture.shape[2] + n + 2), axis=2)
    return [np.ascontiguousarray(texture[:, :, i : i + width]) for i in range(n)]


def make_clip(
    frames: Sequence[np.ndarray],
    fps: tuple[int, int] = (24, 1),
    fmt: int | None = None,
    props: Mapping[int, Mapping[str, object]] | None = None,
) -> vs.VideoNode:
    """A clip showing ``frames`` (``(3, H, W)`` float arrays), with optional per-frame props;
    ``fmt`` defaults to RGBS."""
    fmt = vs.RGBS if fmt is None else fmt
    _, height, width = frames[0].shape
    blank = vs.core.std.BlankClip(
        format=fmt, width=width, height=height, length=len(frames), fpsnum=fps[0], fpsden=fps[1]
    )

    def fill(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        for p in range(3):
            np.copyto(np.asarray(out[p]), frames[n][p], casting="unsafe")
        out.props.update((props or {}).get(n, {}))
        return out

    return vs.core.std.ModifyFrame(blank, blank, fill)


def planes(frame: vs.VideoFrame) -> np.ndarray:
    """A frame as a float32 ``(3, H, W)`` array."""
    return np.stack([np.asarray(frame[p], dtype=np.float32) for p in range(3)])


@dataclass
class FakeState:
    frames: torch.Tensor


class FakeModel:
    """STVUN stand-in: output at ``t`` is the nearest-neighbour upsample of ``(1-t) X3 + t X4``.

    Records every encoded window, so tests see exactly which frames each window was built from,
    and counts :meth:`between` calls (``temporal="warp"`` or ``"fuse"``), whose output is the
    same blend with X4 taken from the following window's centre (equal to the other unless the
    filter passed the wrong window). It stands in for weights with a fusion head.
    """

    fusion = "a fusion head"
    config = dataclasses.replace(preset_config("lite"), fusion_ch=8)

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.windows: list[torch.Tensor] = []
        self.warps = 0
        self._lock = threading.Lock()

    def window_flows(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = frames.new_zeros(frames.shape[0], 2, *frames.shape[-2:])
        return zeros, zeros

    def encode_window(self, frames: torch.Tensor, flows: tuple[torch.Tensor, ...] | None = None) -> FakeState:
        if flows is not None:  # a tile's cut of the whole frame's flows must fit the tile
            assert all(f.shape == (frames.shape[0], 2, *frames.shape[-2:]) for f in flows)
        with self._lock:
            self.windows.append(frames.clone())
        return FakeState(frames)

    def synthesize(self, state: FakeState, t: float, clamp: bool = True) -> torch.Tensor:
        return self._upsample((1 - t) * state.frames[:, 3] + t * state.frames[:, 4])

    def uses_pair_flows(self, temporal: str) -> bool:
        return temporal == "fuse"

    def pair_flows(
        self, state: FakeState, following: FakeState, temporal: str
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Stands in for the DIS flows: the pair's two centre frames, so :meth:`between` can
        check it got the flows of its own pair (the filter keeps them per pair of windows)."""
        return (state.frames[:, 3], following.frames[:, 3]) if self.uses_pair_flows(temporal) else None

    def between(
        self,
        state: FakeState,
        following: FakeState,
        t: float,
        temporal: str,
        pair: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if temporal == "fuse":
            assert pair is not None and all(
                torch.equal(a, b) for a, b in zip(pair, self.pair_flows(state, following, temporal), strict=True)
            )
        with self._lock:
            self.warps += 1
        return self._upsample((1 - t) * state.frames[:, 3] + t * following.frames[:, 3])

    def _upsample(self, image: torch.Tensor) -> torch.Tensor:
        return image.repeat_interleave(self.scale, -1).repeat_interleave(self.scale, -2)


def upsample(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upsample, the spatial part of :class:`FakeModel`."""
    return image.repeat(scale, -1).repeat(scale, -2)


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> list[FakeModel]:
    """Make ``stvun`` use :class:`FakeModel`; the list collects the instances it creates."""
    import vsstvun.filter.plugin

    created: list[FakeModel] = []

    def load(
        model: str, scale: int, model_path: str | None, device: object, precision: str, flow_refine: int | None
    ) -> FakeModel:
        created.append(FakeModel(scale))
        return created[-1]

    monkeypatch.setattr(vsstvun.filter.plugin, "load_model", load)
    return created


@pytest.fixture(scope="session")
def lite_weights(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Path of a random-init ``lite`` checkpoint for a scale (fixed seed, created once)."""
    from vsstvun.model import build_model
    from vsstvun.model.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("weights")
    paths: dict[int, Path] = {}

    def get(scale: int) -> Path:
        if scale not in paths:
            torch.manual_seed(scale)
            paths[scale] = save_checkpoint(build_model("lite", scale), folder / f"lite_x{scale}.safetensors")
        return paths[scale]

    return get


@pytest.fixture
def vs_threads() -> Iterator[Callable[[int], None]]:
    """Set ``core.num_threads`` for one test, restored afterwards."""
    core = vs.core
    before = core.num_threads

    def set_threads(n: int) -> None:
        core.num_threads = n

    yield set_threads
    core.num_threads = before


@pytest.fixture
def warp_backend() -> Iterator[Callable[[str], None]]:
    """Set the warp/correlation backend for one test; the previous one is restored afterwards,
    pass or fail, so no later test runs on a backend it did not choose."""
    from vsstvun.model.ops import warp

    before = warp.get_backend()
    try:
        yield warp.set_backend
    finally:
        warp.set_backend(before)


@pytest.fixture(scope="session")
def vsscript_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for vspipe: a private VSScript config (``vapoursynth config`` writes it under
    ``XDG_CONFIG_HOME``), so the tests neither need nor touch the user's setup."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "vapoursynth", "config"], env=env, check=True, capture_output=True)
    return env
