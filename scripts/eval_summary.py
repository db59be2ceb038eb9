"""Collect ``results/eval/<scale>/<clip>_t<k>/<degradation>/eval.json`` into one markdown table.

Usage: ``.venv/bin/python scripts/eval_summary.py results/eval/x4 [results/eval/x2 ...]``.
One row per clip, time factor, degradation and frame group: PSNR-Y / SSIM-Y of every method and
the model's margin over the best baseline (:func:`vsstvun.eval.report.margins`: centre frames
against the bicubic baselines, in-between frames against bicubic+blend, bicubic+DIS and the
sequential pipeline, whose centre frames are the model's own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vsstvun.data.codec import parse_degradation
from vsstvun.eval.protocol import BASELINES
from vsstvun.eval.report import margins, model_name


def _order(path: Path) -> tuple:
    """Clean first, then by kind and strength; clips and time factors in name order."""
    d = parse_degradation(json.loads(path.read_text())["config"].get("degradation", "clean"))
    return d.kind != "clean", d.kind, d.value, path.parent.parent.name


def rows(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*/*/eval.json"), key=_order):
        data = json.loads(path.read_text())
        cfg, methods = data["config"], data["methods"]
        model, found = model_name(data), margins(data)
        if model is None:  # a baselines-only run has no row to show
            continue
        for group in ("centre", "intermediate"):
            cells = []
            for name in (*BASELINES, model):
                m = methods.get(name, {}).get(group, {})
                cells.append(f"{m['psnr_y']:.2f} / {m['ssim_y']:.4f}" if "psnr_y" in m else "-")
            margin = f"{found[group][0]:+.2f} dB" if group in found else "-"
            out.append(
                f"| {path.parent.parent.name} | {cfg.get('degradation', 'clean')} | x{cfg['scale']} | {group} | "
                f"{methods[model][group]['count']} | " + " | ".join(cells) + f" | {margin} |"
            )
    return out


def main() -> None:
    columns = ("clip / time", "LR degradation", "space", "frames", "n", *BASELINES, "STVUN", "margin (PSNR-Y)")
    print("PSNR-Y / SSIM-Y; margin = STVUN minus the best baseline (centre: bicubic; in-between: all three)\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for folder in sys.argv[1:]:
        print("\n".join(rows(Path(folder))))


if __name__ == "__main__":
    main()
