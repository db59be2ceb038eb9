"""Plot a training log (``log.jsonl``) to PNG: ``python -m vsstvun.train.plot RUN_DIR``.

The figure names its run and marks where the loop's stage 1 (L_S) gave way to stage 2 and where
an interrupted run was resumed (its clock restarts), since a loss curve's jumps usually sit there.
Validation records (``val_*``, :mod:`vsstvun.train.validate`) go on a second axis as the PSNR-Y
gain over bicubic, the quantity the evaluation targets are written in.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..charts import save_chart

CURVES = (
    ("L_S", "L_S"),
    ("L_F", "L_F"),
    ("L_M", "L_M"),
    ("L_W", "L_W (HR warp)"),
    ("L_T", "L_T (px)"),
    ("L_P", "L_P (px, coarse levels)"),
)
VAL_CURVES = (("val_centre_gain", "validation: centre"), ("val_between_gain", "validation: in-between"))


def run_name(log_path: Path) -> str:
    """``runs/lite_x4/log.jsonl`` -> ``lite_x4``; ``docs/training/lite_x4_log.jsonl`` -> ``lite_x4``."""
    return log_path.parent.name if log_path.stem == "log" else log_path.stem.removesuffix("_log")


def events(recs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """``(step, label)`` where the stage changes or the run was resumed, between logged records."""
    marks = []
    for before, after in zip(recs, recs[1:], strict=False):
        if after["stage"] != before["stage"]:
            marks.append((before["step"], f"stage {after['stage']}"))
        elif after["elapsed_s"] < before["elapsed_s"]:
            marks.append((before["step"], "resumed"))
    return marks


def label_rows(steps: list[int], span: float, min_gap: float = 0.06) -> list[int]:
    """Text row of each event label (0 = top): a label closer than ``min_gap`` of the x range to
    the previous one goes one row lower, so marks a few iterations apart stay readable."""
    rows: list[int] = []
    for i, step in enumerate(steps):
        near = i > 0 and step - steps[i - 1] < min_gap * span
        rows.append(rows[-1] + 1 if near else 0)
    return rows


def loss_axis(lowest: float) -> tuple[str, str]:
    """The loss axis' label and scale: logarithmic for L1 losses; linear once a loss is not
    positive (frames scored by minus their PSNR, ``train --psnr``), which a
    log axis would silently leave out."""
    if lowest > 0:
        return "L1 loss (logged batches, running mean)", "log"
    return "loss (logged batches, running mean; L_S, L_F: minus PSNR, dB)", "linear"


def plot_log(log_path: Path, out_path: Path, smooth: int = 10, name: str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    lowest = np.inf
    for key, label in CURVES:
        pts = [(r["step"], r[key]) for r in recs if key in r]
        if not pts:
            continue
        steps, values = map(np.asarray, zip(*pts, strict=True))
        lowest = min(lowest, values.min())
        (line,) = ax.plot(steps, values, alpha=0.25, linewidth=0.8)
        # Each point is one batch: a running mean shows the trend under the batch-to-batch noise.
        k = min(smooth, len(values))
        ax.plot(steps[k - 1 :], np.convolve(values, np.ones(k) / k, mode="valid"), color=line.get_color(), label=label)
    marks = events(recs)
    span = max(r["step"] for r in recs) - min(r["step"] for r in recs) or 1
    for (step, label), row in zip(marks, label_rows([m[0] for m in marks], span), strict=True):
        ax.axvline(step, color="0.3", linestyle="--" if label.startswith("stage") else ":", linewidth=1)
        offset = (3, -12 * (row + 1))
        ax.annotate(label, (step, 1), xycoords=("data", "axes fraction"), xytext=offset, textcoords="offset points")
    stages = sorted({r["stage"] for r in recs})
    ax.set_title(f"{name or run_name(log_path)}: training loss, stage {' + '.join(map(str, stages))}")
    ax.set_xlabel("iteration")
    label, scale = loss_axis(lowest)
    ax.set_ylabel(label)
    ax.set_yscale(scale)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    plot_validation(ax, recs)
    fig.tight_layout()
    save_chart(fig, out_path)
    plt.close(fig)
    return out_path


def validation_points(recs: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """``(step, value)`` of a validation key; a step scored twice (a resumed run rescoring the
    weights it saved) keeps its last value."""
    return sorted({r["step"]: r[key] for r in recs if key in r}.items())


def plot_validation(ax: Any, recs: list[dict[str, Any]]) -> Any:
    """Validation gains (dB) with their values, on a right-hand axis sharing the iterations;
    return that axis (None when the log has no validation records)."""
    curves = [(label, validation_points(recs, key)) for key, label in VAL_CURVES]
    curves = [(label, pts) for label, pts in curves if pts]
    if not curves:
        return None
    right = ax.twinx()
    for (label, pts), (marker, style) in zip(curves, (("o", "-"), ("s", "--")), strict=False):
        steps, values = zip(*pts, strict=True)
        right.plot(steps, values, marker=marker, linestyle=style, markersize=3, color="k", alpha=0.8, label=label)
        right.annotate(f"{values[-1]:+.2f} dB", (steps[-1], values[-1]), xytext=(4, 0), textcoords="offset points")
    right.set_ylabel("validation PSNR-Y gain over bicubic (dB)")
    right.legend(loc="lower center")
    return right


def main() -> None:
    from ..cli.extras import require_train_extra

    require_train_extra("python -m vsstvun.train.plot")
    p = argparse.ArgumentParser(prog="python -m vsstvun.train.plot", description=__doc__)
    p.add_argument("log", type=Path, help="a run folder (its log.jsonl) or a log file")
    p.add_argument("--out", type=Path, help="PNG to write (default: loss.png beside the log)")
    p.add_argument("--name", help="run name in the title (default: from the path)")
    a = p.parse_args()
    log = a.log / "log.jsonl" if a.log.is_dir() else a.log
    print(plot_log(log, a.out or log.with_name("loss.png"), name=a.name))


if __name__ == "__main__":
    main()
