"""The training, evaluation and benchmark commands need the ``train`` extra; say so plainly.

Without this a user who installed only the filter gets ``No module named 'cv2'`` (or ``tqdm``,
``matplotlib``) from deep inside an import chain. The check runs before those imports.
"""

from __future__ import annotations

import importlib.util
import sys

#: Modules of the ``train`` extra that the three commands import (pyproject: optional-dependencies.train).
TRAIN_MODULES = ("cv2", "matplotlib", "tqdm")
TRAIN_HINT = "install the train extra: pip install 'vsstvun[train]'"


def missing_modules(names: tuple[str, ...] = TRAIN_MODULES) -> list[str]:
    """The top-level modules among ``names`` that cannot be imported."""
    return [name for name in names if importlib.util.find_spec(name) is None]


def require_train_extra(prog: str) -> None:
    """Exit with status 2 and a one-line hint when the ``train`` extra is not installed."""
    missing = missing_modules()
    if missing:
        print(f"{prog}: missing {', '.join(missing)}; {TRAIN_HINT}", file=sys.stderr)
        raise SystemExit(2)
