"""The packaged weights load by default and do real work: sharper than bicubic on a photo.

A regression guard for the shipped files (the README's evaluation tables come from
``scripts/eval.sh``); the photo is scikit-image's astronaut, never seen in training.
"""

from __future__ import annotations

import pytest
import torch

from vsstvun.checkpoint import default_weights_path, load_model
from vsstvun.data.degrade import degrade
from vsstvun.eval.methods import upscale_bicubic
from vsstvun.metrics import psnr_y


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    data = pytest.importorskip("skimage.data")
    image = torch.from_numpy(data.astronaut()[96:288, 128:320].copy()).permute(2, 0, 1).float() / 255
    return image  # (3, 192, 192)


@pytest.mark.parametrize("scale", [4, 2])
def test_shipped_weights_beat_bicubic_on_a_still(photo, scale):
    assert default_weights_path("lite", scale).is_file()
    net = load_model("lite", scale)
    lr = degrade(photo[None], scale)[0]
    with torch.inference_mode():
        state = net.encode_window(lr[None, None].expand(1, 7, -1, -1, -1))
        sr = net.synthesize(state, 0.0)[0]
        mid = net.synthesize(state, 0.5)[0]  # a still scene: the in-between frame is the same picture
    bicubic = torch.from_numpy(upscale_bicubic(lr, scale)).permute(2, 0, 1)  # grid-aligned: a fair baseline
    base = psnr_y(bicubic, photo, 4)
    assert psnr_y(sr, photo, 4) > base + 0.5
    assert psnr_y(mid, photo, 4) > base + 0.5
