"""Collect ``results/eval_*/*/eval.json`` into one markdown table of PSNR-Y / SSIM-Y with margins.

Usage: ``.venv/bin/python scripts/eval_summary.py results/eval/x4 [results/eval/x2 ...]``.
The margin is STVUN minus the better of the two baselines, per frame group.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BASELINES = ("bicubic+blend", "bicubic+DIS")


def rows(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*/eval.json")):
        data = json.loads(path.read_text())
        cfg, methods = data["config"], data["methods"]
        model = next(name for name in methods if name not in BASELINES)
        for group in ("centre", "intermediate"):
            cells = []
            for name in (*BASELINES, model):
                m = methods[name][group]
                cells.append(f"{m['psnr_y']:.2f} / {m['ssim_y']:.4f}")
            best = max(methods[b][group]["psnr_y"] for b in BASELINES)
            margin = methods[model][group]["psnr_y"] - best
            out.append(
                f"| {path.parent.name} | x{cfg['scale']} | {group} | {methods[model][group]['count']} | "
                + " | ".join(cells)
                + f" | {margin:+.2f} dB |"
            )
    return out


def main() -> None:
    columns = ("clip / time", "space", "frames", "n", "bicubic+blend (PSNR-Y / SSIM-Y)", "bicubic+DIS", "STVUN lite")
    print("| " + " | ".join(columns) + " | margin (PSNR-Y) |")
    print("|---|---|---|---|---|---|---|---|")
    for folder in sys.argv[1:]:
        print("\n".join(rows(Path(folder))))


if __name__ == "__main__":
    main()
