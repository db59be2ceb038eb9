"""vsstvun.eval.scenecut: the scorer counts hits, false alarms and misses right on a tiny set."""

from __future__ import annotations

import numpy as np
from conftest import moving_frames

from vsstvun.eval.scenecut import Case, report, scores


def hwc(frames: list[np.ndarray]) -> np.ndarray:
    return np.stack([f.transpose(1, 2, 0) for f in frames])


def test_report_counts_a_known_case():
    a, b, c = (moving_frames(1, 96, 64, seed=s)[0] for s in (1, 2, 3))
    cases = [
        Case("mixed", hwc([a, b, c]), np.array([True, False])),  # a found cut, then a false alarm
        Case("mixed", hwc([a, a]), np.array([True])),  # a missed "cut"
        Case("still", hwc([c, c, c]), np.array([False, False])),
    ]
    assert len(scores(cases[0])) == 2
    table = report(cases, threshold=0.4)
    assert "| mixed | 3 | 2 | 1 | 1 | 1 |" in table
    assert "| still | 2 | 0 | 0 | 0 | 0 |" in table
    assert "| **all** | 5 | 2 | 1 | 1 | 1 |" in table
    assert table.endswith("precision 0.500, recall 0.500")
