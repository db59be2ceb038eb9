"""The packaging's done-when check, ``scripts/check_wheel.sh``: wheel -> fresh venv -> info and a
three-frame vspipe run from outside the source tree. Slow (minutes: it installs from the package
index), so it only runs when asked for: ``pytest -m wheel``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.wheel
def test_wheel_installs_and_runs_outside_the_tree():
    # torch (and its CUDA libraries) come from this environment instead of a 3 GB download.
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check_wheel.sh"), "--reuse-torch", sys.executable],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "check_wheel: OK" in result.stdout
