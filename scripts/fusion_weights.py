"""Which candidates does a fusion head take? Its mean softmax weight per candidate on a clip.

A late candidate group (``fusion_base``, ``fusion_splat``, ``fusion_still``) starts at a small
prior; whether training made the head use it shows here before any evaluation does. On a folder
of frames (default: the held-out cel clip), for three pairs ``k`` frames apart in the middle of
the clip, at t = 1/2: the head's weight per candidate, over all pixels and over those where the
two ground-truth frames differ (where something moves).

Usage: python scripts/fusion_weights.py WEIGHTS [FOLDER] [--k 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from vsstvun.data.degrade import degrade
from vsstvun.data.video import read_frames_dir
from vsstvun.model.checkpoint import load_checkpoint
from vsstvun.model.config import ModelConfig


def candidate_names(config: ModelConfig) -> list[str]:
    """The head's candidates in :meth:`~vsstvun.model.STVUN.fuse_between`'s order."""
    pair = ["3", "4"] if config.fusion_split else [""]
    names = ["joint"] + [f"net{p}" for p in pair] + ([f"dis{p}" for p in pair] if config.fusion_dis else [])
    names += ["base3", "base4"] * config.fusion_base + ["splat"] * config.fusion_splat
    return names + ["still3", "still4"] * config.fusion_still


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("weights", type=Path)
    p.add_argument("folder", type=Path, nargs="?", default=Path.home() / ".cache/vsstvun/celclip")
    p.add_argument("--k", type=int, default=2, help="frames between the pair's inputs")
    a = p.parse_args()
    net = load_checkpoint(a.weights).eval()
    hr = torch.from_numpy(read_frames_dir(a.folder)).permute(0, 3, 1, 2).float() / 255
    if len(hr) < 8 * a.k:
        raise SystemExit(f"{a.folder}: {len(hr)} frames, fewer than the 8 windows' frames {a.k} apart need")
    names = candidate_names(net.config)
    everywhere, moving = np.zeros(len(names)), np.zeros(len(names))
    # X3 of three pairs spread over the clip, each window's X0..X7 inside it
    firsts = np.linspace(3 * a.k, len(hr) - 1 - 4 * a.k, 3).astype(int)
    for first in firsts:
        lr = degrade(hr[[first + a.k * (i - 3) for i in range(8)]], net.scale)
        # the head's softmax is the one fuse_between calls last: its output is the weights
        with mock.patch.object(torch, "softmax", wraps=torch.softmax) as softmax, torch.inference_mode():
            net.fuse_between(net.encode_window(lr[None, :7]), net.encode_window(lr[None, 1:8]), 0.5)
        logits, dim = softmax.call_args.args[0], softmax.call_args.kwargs["dim"]
        w = torch.softmax(logits, dim=dim)[0, :, 0, : hr.shape[2], : hr.shape[3]].numpy()
        changed = (hr[first] - hr[first + a.k]).abs().sum(0).numpy() > 0.1
        everywhere += w.mean((1, 2)) / len(firsts)
        moving += (w[:, changed].mean(1) if changed.any() else np.nan) / len(firsts)
    print("| candidate | all pixels | where it moves |\n|---|---|---|")
    for name, x, y in zip(names, everywhere, moving, strict=True):
        print(f"| {name} | {x:.3f} | {y:.3f} |")


if __name__ == "__main__":
    main()
