"""Plot a training log (``log.jsonl``) to PNG: ``python -m vsstvun.train.plot RUN_DIR``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def plot_log(log_path: Path, out_path: Path, smooth: int = 10) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    curves = (("L_S", "L_S"), ("L_F", "L_F"), ("L_M", "L_M"), ("L_T", "L_T (px)"), ("L_P", "L_P (px, coarse levels)"))
    for key, label in curves:
        pts = [(r["step"], r[key]) for r in recs if key in r]
        if not pts:
            continue
        steps, values = map(np.asarray, zip(*pts, strict=True))
        (line,) = ax.plot(steps, values, alpha=0.25, linewidth=0.8)
        # Each point is one batch: a running mean shows the trend under the batch-to-batch noise.
        k = min(smooth, len(values))
        ax.plot(steps[k - 1 :], np.convolve(values, np.ones(k) / k, mode="valid"), color=line.get_color(), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("L1 loss (logged batches, running mean)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("run_dir", type=Path)
    a = p.parse_args()
    print(plot_log(a.run_dir / "log.jsonl", a.run_dir / "loss.png"))


if __name__ == "__main__":
    main()
