"""``python -m vsstvun info``: everything a bug report needs, one ``key: value`` line each.

Every probe is independent and reports its own failure as the value, so one broken component
(say CuPy without its CUDA libraries) still leaves the rest of the report readable.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

Line = tuple[str, str]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> Iterator[Line]:
    import torch

    import vsstvun

    yield "vsstvun", f"{vsstvun.__version__} ({Path(vsstvun.__file__).parent})"
    yield "python", f"{platform.python_version()} ({sys.executable}) on {platform.platform()}"
    cuda = torch.version.cuda or "none (CPU-only build)"
    yield "torch", f"{torch.__version__} (CUDA build: {cuda})"
    import vapoursynth as vs

    yield "vapoursynth", f"{vs.__version__} (API {vs.__api_version__})"


def _cupy() -> Iterator[Line]:
    try:
        import cupy
    except ImportError:
        yield "cupy", "not installed (pip install 'vsstvun[cuda13]' or 'vsstvun[cuda12]' to match torch's CUDA)"
        return
    yield "cupy", f"{cupy.__version__} (CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()})"


def _devices() -> Iterator[Line]:
    import torch

    from ..model.ops.warp import cupy_available, get_backend

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        yield "cuda devices", "none (the filter would run on the CPU)"
    for i in range(count):
        p = torch.cuda.get_device_properties(i)
        yield f"cuda:{i}", f"{p.name}, compute {p.major}.{p.minor}, {p.total_memory / 2**30:.1f} GiB"
    on_cuda = "cupy" if count and get_backend() != "torch" and cupy_available() else "torch grid_sample"
    yield "warp backend", f"{on_cuda} on {'cuda:0' if count else 'cpu'} (setting: {get_backend()})"


def _weights() -> Iterator[Line]:
    from safetensors import safe_open

    from ..model.checkpoint import FLOW_FILE_KEY, FLOW_FORMAT
    from ..weights import WEIGHTS_DIR

    files = sorted(WEIGHTS_DIR.glob("*.safetensors"))
    if not files:
        yield "weights", f"none packaged in {WEIGHTS_DIR}"
    for path in files:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        kind = f"{meta.get('preset', '?')} x{meta.get('scale', '?')}"
        if meta.get(FLOW_FILE_KEY):
            kind += f" (flow net in {meta[FLOW_FILE_KEY]})"
        elif meta.get("format") == FLOW_FORMAT:
            kind += " shared flow net"
        yield f"weights {path.name}", f"{kind}, {path.stat().st_size / 1e6:.1f} MB, sha256 {file_sha256(path)}"


def vsscript_config_path() -> Path:
    """Where ``python -m vapoursynth config`` writes vspipe's VSScript config (the rule of
    ``vapoursynth._get_vapoursynth_config_path``, without its side effect of creating the folder)."""
    if sys.platform == "win32":
        return Path(os.environ["APPDATA"]) / "vapoursynth" / "vapoursynth.toml"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "vapoursynth" / "vapoursynth.toml"


def _vsscript() -> Iterator[Line]:
    """The config maps each installation's VSScript library to the Python it embeds."""
    import vapoursynth as vs

    path = vsscript_config_path()
    yield "vsscript config", str(path) + ("" if path.is_file() else " (missing)")
    library = vs.get_vsscript()
    key = library.lower() if sys.platform == "win32" else library.replace("/lib64/", "/lib/")
    entry = tomllib.loads(path.read_text(encoding="utf-8")).get(key) if path.is_file() else None
    if entry is None:
        yield "vspipe python", f"not configured for {library}: run python -m vapoursynth config"
    else:
        same = Path(entry[0]) == Path(sys.executable)
        yield (
            "vspipe python",
            f"{entry[0]} ({'this Python' if same else 'another Python: run python -m vapoursynth config'})",
        )
    yield "VSSCRIPT_PATH", os.environ.get("VSSCRIPT_PATH", "not set")


PROBES: tuple[Callable[[], Iterator[Line]], ...] = (_versions, _cupy, _devices, _weights, _vsscript)


def report() -> list[Line]:
    """All probes' lines; a probe that fails contributes one line naming the error."""
    lines: list[Line] = []
    for probe in PROBES:
        try:
            lines.extend(probe())
        except Exception as exc:
            lines.append((probe.__name__.strip("_"), f"error: {type(exc).__name__}: {exc}"))
    return lines


def main() -> int:
    lines = report()
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    return 0
