"""Spatial tiling of STVUN windows (pure torch, no VapourSynth).

Frames too big for device memory are split into a ``tx x ty`` grid of low-resolution tiles,
each grown by (at least) ``overlap`` LR pixels on its inner sides. Each tile is an independent window
(``encode_window`` + ``synthesize``); the high-resolution tiles are blended back with
separable linear ramps across the shared strips, so tile borders -- where the network lacks
context and is least reliable -- get almost no weight and seams disappear. With a single tile
the model output is returned untouched. Tiles may have any size: the model pads internally.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..model import SIZE_MULTIPLE, STVUN, PairFlows, WindowState


@dataclass(frozen=True)
class Tile:
    """A tile's LR box ``[y0, y1) x [x0, x1)`` (overlap included) and its HR blend weight."""

    y0: int
    y1: int
    x0: int
    x1: int
    weight: torch.Tensor | None
    """``(sH, sW)`` weight already normalised by the sum over tiles; ``None`` for a single tile."""


def _spans(length: int, parts: int, overlap: int) -> list[tuple[int, int]]:
    """Split ``[0, length)`` into ``parts`` near-equal cores, each grown by at least ``overlap``.

    Inner edges are snapped outwards to multiples of :data:`SIZE_MULTIPLE`, so every tile sits on
    the same pooling grid as the whole frame and is only padded where the frame itself is: the
    tiles then see exactly what the untiled network sees, away from their borders.
    """
    cuts = [round(k * length / parts) for k in range(parts + 1)]
    grid = SIZE_MULTIPLE
    return [
        (max(0, (a - overlap) // grid * grid), min(length, -(-(b + overlap) // grid) * grid))
        for a, b in itertools.pairwise(cuts)
    ]


def _ramps(spans: Sequence[tuple[int, int]], scale: int) -> list[torch.Tensor]:
    """HR blend weights along one axis, one per span.

    Across each strip shared by two neighbours, one ramps linearly up and the other down, so the
    pair sums to one and the border pixels of a tile (least context) weigh almost nothing.
    Image borders keep weight 1: there is no neighbour to hand over to.
    """
    out = []
    for k, (start, stop) in enumerate(spans):
        size = (stop - start) * scale
        u = torch.arange(size, dtype=torch.float64) + 0.5
        weight = torch.ones(size, dtype=torch.float64)
        if k > 0 and (shared := (spans[k - 1][1] - start) * scale) > 0:
            weight *= (u / shared).clamp(max=1)
        if k < len(spans) - 1 and (shared := (stop - spans[k + 1][0]) * scale) > 0:
            weight *= ((size - u) / shared).clamp(max=1)
        out.append(weight)
    return out


def plan_tiles(
    height: int,
    width: int,
    scale: int,
    tiles: tuple[int, int] = (1, 1),
    overlap: int = 0,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> list[Tile]:
    """Tiles covering an LR frame of ``height x width``; ``tiles`` is ``(columns, rows)``."""
    tx, ty = tiles
    if tx < 1 or ty < 1:
        raise ValueError(f"tiles must be >= 1, got {tiles}")
    most = (max(1, width // SIZE_MULTIPLE), max(1, height // SIZE_MULTIPLE))
    if tx > most[0] or ty > most[1]:
        raise ValueError(
            f"tiles={tiles} would cut the {width}x{height} frame into tiles of about {width // tx}x{height // ty} "
            f"LR pixels; the model pads every tile to {SIZE_MULTIPLE} pixels and adds the overlap, so tiles that "
            f"small only multiply the work: use at most {most} tiles (at least {SIZE_MULTIPLE} LR pixels each)"
        )
    if overlap < 0:
        raise ValueError(f"overlap must be >= 0, got {overlap}")
    if tx == ty == 1:
        return [Tile(0, height, 0, width, None)]
    rows, cols = _spans(height, ty, overlap), _spans(width, tx, overlap)
    boxes = [
        (ys, xs, torch.outer(wy, wx))
        for ys, wy in zip(rows, _ramps(rows, scale), strict=True)
        for xs, wx in zip(cols, _ramps(cols, scale), strict=True)
    ]
    total = torch.zeros(height * scale, width * scale, dtype=torch.float64)
    for (y0, y1), (x0, x1), w in boxes:
        total[y0 * scale : y1 * scale, x0 * scale : x1 * scale] += w
    return [
        Tile(y0, y1, x0, x1, (w / total[y0 * scale : y1 * scale, x0 * scale : x1 * scale]).to(device, dtype))
        for (y0, y1), (x0, x1), w in boxes
    ]


class TiledModel:
    """Runs an STVUN model tile by tile; a window's state is the list of its tiles' states."""

    def __init__(self, model: STVUN, tiles: Sequence[Tile]) -> None:
        self.model = model
        self.tiles = list(tiles)
        self._weights = [t.weight for t in self.tiles if t.weight is not None]
        if len(self.tiles) > 1 and len(self._weights) != len(self.tiles):
            raise ValueError("every tile of a multi-tile plan needs a blend weight: build the tiles with plan_tiles")

    def encode(self, frames: torch.Tensor) -> list[WindowState]:
        """Encode a ``(B, 7, 3, H, W)`` window, one ``WindowState`` per tile.

        With several tiles the flows come from the whole frame, once, and each tile gets its cut:
        the flow net sees far (a coarse level spans the frame), so per-tile flows would differ
        across every seam and need a much wider overlap. Tiles therefore bound the memory of the
        encoder, EFST and decoder, not of the flow net (the lite preset's is small: it runs on 2x
        LR with at most 64 channels).
        """
        if len(self.tiles) == 1:
            return [self.model.encode_window(frames)]
        f34, f43 = self.model.window_flows(frames)
        box = [(..., slice(t.y0, t.y1), slice(t.x0, t.x1)) for t in self.tiles]
        return [self.model.encode_window(frames[b], flows=(f34[b], f43[b])) for b in box]

    def synthesize(self, states: Sequence[WindowState], t: float) -> torch.Tensor:
        """Frame at time ``t`` (0 = space-only X3) as ``(B, 3, sH, sW)``, tiles blended."""
        return self._blend([self.model.synthesize(state, t) for state in states])

    def uses_pair_flows(self, temporal: str) -> bool:
        """:meth:`STVUN.uses_pair_flows`: the tiles share the network, so they share the answer."""
        return self.model.uses_pair_flows(temporal)

    def pair_flows(
        self, states: Sequence[WindowState], following: Sequence[WindowState], temporal: str
    ) -> list[PairFlows | None]:
        """:meth:`STVUN.pair_flows` of each tile (DIS runs per tile, as the head was trained on
        patches): what every frame between these two windows shares."""
        return [self.model.pair_flows(state, after, temporal) for state, after in zip(states, following, strict=True)]

    def between(
        self,
        states: Sequence[WindowState],
        following: Sequence[WindowState],
        t: float,
        temporal: str,
        pair: Sequence[PairFlows | None] | None = None,
    ) -> torch.Tensor:
        """Frame at time ``t`` from this window and the next (:meth:`STVUN.between`: warped
        space-only frames, or those fused with the decoder pass), tile by tile, tiles blended;
        ``pair``: :meth:`pair_flows` of these windows, if already computed."""
        pair = [None] * len(states) if pair is None else pair
        parts = zip(states, following, pair, strict=True)
        return self._blend([self.model.between(state, after, t, temporal, pair=p) for state, after, p in parts])

    def _blend(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """The HR tiles ``(B, 3, sh, sw)`` of one frame weighted into the whole frame."""
        if len(parts) == 1:
            return parts[0]
        s, last = self.model.scale, self.tiles[-1]
        out = parts[0].new_zeros(*parts[0].shape[:2], last.y1 * s, last.x1 * s)
        for part, tile, weight in zip(parts, self.tiles, self._weights, strict=True):
            out[..., tile.y0 * s : tile.y1 * s, tile.x0 * s : tile.x1 * s] += part * weight
        return out
