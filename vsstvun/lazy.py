"""Lazy package exports: a package names what it re-exports, and each name is imported on first use.

The ``vsstvun``, ``train``, ``eval`` and ``bench`` packages re-export functions whose modules need
optional dependencies (VapourSynth, OpenCV, tqdm, matplotlib). Importing them eagerly would make
``python -m vsstvun.train`` fail inside the package ``__init__``, before its ``__main__`` can say
which extra is missing, and would make ``import vsstvun`` need VapourSynth.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``name`` from ``exports[name]``
    (a module path relative to the package) on first access."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    return __getattr__
