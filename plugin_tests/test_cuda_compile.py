"""The CuPy kernels compile for the H100 (sm_90) with NVRTC alone: no GPU or driver needed.

CuPy's own ``RawModule.compile`` asks the driver for the current device's architecture, so this
test drives ``cupy.cuda.nvrtc`` directly with an explicit architecture; the CUDA headers come from
the NVIDIA pip wheels torch installs (found by ``cuda.pathfinder``, a CuPy dependency). Skipped
where CuPy (``pip install 'vsstvun[cuda]'``) is not installed.
"""

from __future__ import annotations

import pytest

nvrtc = pytest.importorskip("cupy.cuda").nvrtc
pathfinder = pytest.importorskip("cuda.pathfinder")


def _compile(options: list[str]) -> object:
    from vsstvun.model.ops.cuda_kernels import _SOURCE, COMPILE_OPTIONS

    include = pathfinder.find_nvidia_header_directory("cudart")
    if include is None:
        pytest.skip("no CUDA headers (nvidia-cuda-runtime wheel) found")
    prog = nvrtc.createProgram(_SOURCE, "vsstvun_kernels.cu", [], [])
    try:
        nvrtc.compileProgram(prog, [*COMPILE_OPTIONS, f"-I{include}", *options])
    except nvrtc.NVRTCError as exc:
        pytest.fail(f"{exc}\n{nvrtc.getProgramLog(prog)}")
    return prog


def test_kernels_compile_to_ptx_with_every_entry_point():
    from vsstvun.model.ops.cuda_kernels import KERNEL_NAMES

    ptx = nvrtc.getPTX(_compile(["-arch=compute_90"])).decode()
    for name in KERNEL_NAMES:
        assert f".entry {name}(" in ptx


def test_kernels_assemble_for_the_h100():
    assert len(nvrtc.getCUBIN(_compile(["-arch=sm_90"]))) > 0


def test_torch_streams_reach_cupy_without_the_deprecated_external_stream():
    """CuPy 14 warns on ``ExternalStream`` at every kernel launch; the protocol path must not warn
    and must wrap the very handle torch gave (no GPU needed to build the wrapper)."""
    import warnings

    from vsstvun.model.ops.cuda_kernels import cupy_stream

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stream = cupy_stream(0x5EED)
    assert stream.ptr == 0x5EED
