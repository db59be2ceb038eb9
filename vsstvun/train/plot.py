"""Plot a training log (``log.jsonl``) to PNG: ``python -m vsstvun.train.plot RUN_DIR``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def plot_log(log_path: Path, out_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key in ("L_S", "L_F", "L_M", "L_T"):
        pts = [(r["step"], r[key]) for r in recs if key in r]
        if pts:
            ax.plot(*zip(*pts), label=key)
    ax.set_xlabel("iteration")
    ax.set_ylabel("L1 loss")
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
