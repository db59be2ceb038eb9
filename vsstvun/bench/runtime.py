"""Everything the benchmark sections share: device, weights file, network, inputs, loops.

The weights always come from a file -- the user's ``--model-path`` or a random-init checkpoint
of the preset written to a temporary directory -- so the direct model and the VapourSynth
filter load the very same network through :func:`vsstvun.weights.load_model`.
Random weights are fine: the network is dense, its speed does not depend on the values.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ..model import STVUN, build_model
from ..model.checkpoint import save_checkpoint
from ..model.ops.warp import get_backend, set_backend
from ..weights import load_model
from .clock import Clock
from .config import BenchConfig


def output_times(factor: int) -> list[float]:
    """The times of one window's k output frames, as the filter asks for them (t = 0: X3 itself)."""
    return [j / factor for j in range(factor)]


@dataclass
class Runtime:
    """A prepared benchmark run; obtain one with :func:`open_runtime`."""

    config: BenchConfig
    device: torch.device
    dtype: torch.dtype
    weights: Path
    random_init: bool
    progress: bool = False

    @property
    def clock(self) -> Clock:
        return Clock(self.device)

    @functools.cached_property
    def model(self) -> STVUN:
        """The network with the run's speed flags (channels_last, torch.compile) applied."""
        return self.load_network(channels_last=self.config.channels_last, compile=self.config.compile)

    def load_network(self, *, channels_last: bool, compile: bool) -> STVUN:
        """A fresh inference network from the run's weights file, optionally tuned for speed.

        Compilation is per sub-module so that ``encode_window``/``synthesize`` (not ``forward``)
        benefit and the output time ``t``, a Python float, never becomes a graph constant.
        """
        net = load_model(
            model=self.config.preset,
            scale=self.config.scale,
            model_path=self.weights,
            device=self.device,
            half=self.dtype == torch.float16,
        )
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        if compile:
            for module in (net.encoder, net.efst, net.decoder, net.pwcnet):
                module.compile()
        return net

    def frames(self, n: int) -> torch.Tensor:
        """``n`` random ``(3, H, W)`` frames in the run's device and precision (content does not
        change the speed of a dense network; a fixed seed keeps runs comparable anyway)."""
        width, height = self.config.size
        gen = torch.Generator().manual_seed(0)
        return torch.rand(n, 3, height, width, generator=gen).to(self.device, self.dtype)

    def window(self) -> torch.Tensor:
        """A random ``(1, 7, 3, H, W)`` model input."""
        return self.frames(self.model.config.n_frames).unsqueeze(0)

    def iterate[T](self, items: Iterable[T], desc: str) -> Iterable[T]:
        """``items`` with a progress bar when enabled (long CPU loops take minutes)."""
        return tqdm(items, desc=desc, leave=False, disable=not self.progress)

    def warm_up(self, one: Callable[[], object], desc: str) -> None:
        """``warmup`` untimed calls: kernel selection, allocator growth, compilation."""
        for _ in self.iterate(range(self.config.warmup), f"{desc}: warm-up"):
            one()

    def repeat[T](
        self, one: Callable[[], T], desc: str, windows: int | None = None, warm: bool = True
    ) -> list[list[T]]:
        """``warmup`` untimed calls of ``one``, then ``repeats`` x ``windows`` recorded calls.

        ``windows`` defaults to the config's ``frames`` (one window per input frame); ``warm=False``
        skips the warm-up when the caller just ran the same modules at the same shapes.
        """
        cfg = self.config
        windows = cfg.frames if windows is None else windows
        if warm:
            self.warm_up(one, desc)
        return [
            [one() for _ in self.iterate(range(windows), f"{desc}: repeat {r + 1}/{cfg.repeats}")]
            for r in range(cfg.repeats)
        ]


def _device(name: str) -> torch.device:
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda asked for, but torch sees no CUDA device")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device(name)


@contextmanager
def open_runtime(config: BenchConfig, progress: bool = False) -> Iterator[Runtime]:
    """Prepare a run: device, warp backend (restored afterwards) and weights file."""
    device = _device(config.device)
    previous = get_backend()
    set_backend(config.backend)
    try:
        with tempfile.TemporaryDirectory(prefix="vsstvun-bench-") as tmp:
            if config.model_path is None:
                torch.manual_seed(0)
                weights = save_checkpoint(
                    build_model(config.preset, config.scale),
                    Path(tmp) / f"random_{config.preset}_x{config.scale}.safetensors",
                )
            else:
                weights = Path(config.model_path)
            dtype = torch.float16 if config.precision == "fp16" else torch.float32
            yield Runtime(config, device, dtype, weights, config.model_path is None, progress)
    finally:
        set_backend(previous)
