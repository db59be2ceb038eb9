"""Device choice: the CPU fallback and the missing-CuPy fallback are said once in VapourSynth's
log, an explicit ``device_index=-1`` chooses the CPU silently, and bad indices name the fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
import vapoursynth as vs
from conftest import make_clip, moving_frames

import vsstvun
from vsstvun.filter import device


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """VapourSynth warnings logged during the test; the once-per-process memory starts empty."""
    device.warn_once.cache_clear()
    logged: list[str] = []

    def handler(kind: vs.MessageType, message: str) -> None:
        if kind == vs.MESSAGE_TYPE_WARNING:
            logged.append(message)

    handle = vs.core.add_log_handler(handler)
    yield logged
    vs.core.remove_log_handler(handle)
    device.warn_once.cache_clear()


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def cuda_without_cupy(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch sees two CUDA devices, CuPy is missing (only device selection runs, nothing is allocated)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(device, "cupy_available", lambda: False)


def clip() -> vs.VideoNode:
    return make_clip(moving_frames(3))


def test_cpu_fallback_is_logged_once(no_cuda, warnings, fake_models):
    vsstvun.stvun(clip())
    vsstvun.stvun(clip(), device_index=None)
    assert len(warnings) == 1
    assert "runs on the CPU" in warnings[0] and "device_index=-1" in warnings[0]


def test_explicit_cpu_is_silent(no_cuda, warnings, fake_models):
    out = vsstvun.stvun(clip(), device_index=device.CPU)
    out.get_frame(1)
    assert warnings == []


def test_explicit_cpu_even_with_cuda(cuda_without_cupy, warnings):
    assert device.select_device(-1) == torch.device("cpu")
    assert warnings == []


def test_cuda_without_cupy_says_torch_warp_once(cuda_without_cupy, warnings):
    assert device.select_device(None) == torch.device("cuda", 0)
    assert device.select_device(1) == torch.device("cuda", 1)
    assert len(warnings) == 1
    assert "CuPy not found" in warnings[0] and "grid_sample" in warnings[0]


def test_torch_backend_chosen_explicitly_is_silent(cuda_without_cupy, warnings, monkeypatch):
    monkeypatch.setattr(device, "get_backend", lambda: "torch")
    device.select_device(0)
    assert warnings == []


@pytest.mark.parametrize(
    ("index", "message"),
    [(-2, "must be None, -1 .CPU. or a CUDA device index"), (2, "out of range .found 2 CUDA devices")],
)
def test_bad_index_names_the_parameter(cuda_without_cupy, index, message):
    with pytest.raises(vs.Error, match=f"^stvun: device_index.*{message}"):
        vsstvun.stvun(clip(), device_index=index)
