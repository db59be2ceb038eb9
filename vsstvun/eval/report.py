"""Write an evaluation result as JSON, a markdown table and a bar chart."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure

from .protocol import GROUPS

COLUMNS = (("psnr_y", "PSNR-Y", 2), ("ssim_y", "SSIM-Y", 4), ("psnr_rgb", "PSNR-RGB", 2), ("ssim_rgb", "SSIM-RGB", 4))


def markdown(result: dict) -> str:
    """One row per method and frame group (centre / intermediate / all), one column per metric."""
    c = result["config"]
    title = (
        f"x{c['scale']} space, x{c['time_factor']} time, {c['frames']} frames "
        f"{c['hr_size'][1]}x{c['hr_size'][0]}, crop {c['crop']} px"
    )
    head = "| method | frames | n | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    lines = [f"**{title}**", "", head, "|" + "---|" * (3 + len(COLUMNS))]
    for name, res in result["methods"].items():
        for group in GROUPS:
            s = res[group]
            cells = [f"{s[key]:.{digits}f}" if key in s else "-" for key, _, digits in COLUMNS]
            lines.append(f"| {name} | {group} | {s['count']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bar_chart(result: dict, path: str | Path) -> None:
    """PSNR-Y and SSIM-Y per frame group, one bar per method."""
    methods = list(result["methods"])
    fig = Figure(figsize=(11, 4))  # no pyplot: no global backend or figure registry to manage
    axes = fig.subplots(1, 2)
    width = 0.8 / len(methods)
    for ax, (key, label, _) in zip(axes, COLUMNS[:2], strict=True):
        for i, name in enumerate(methods):
            values = [result["methods"][name][g].get(key, float("nan")) for g in GROUPS]
            xs = [g + (i - (len(methods) - 1) / 2) * width for g in range(len(GROUPS))]
            ax.bar(xs, values, width, label=name)
        shown = [result["methods"][m][g][key] for m in methods for g in GROUPS if key in result["methods"][m][g]]
        if shown:  # zoom in: the differences, not the absolute values, are what matter
            pad = 0.3 * max(max(shown) - min(shown), 0.5 if key.startswith("psnr") else 0.005)
            ax.set_ylim(min(shown) - pad, max(shown) + pad / 2)
        ax.set_xticks(range(len(GROUPS)), GROUPS)
        ax.set_title(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    c = result["config"]
    fig.suptitle(f"x{c['scale']} space, x{c['time_factor']} time ({c['frames']} frames)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(result: dict, out_dir: str | Path) -> str:
    """``eval.json``, ``eval.md`` and ``eval.png`` in ``out_dir``; returns the markdown."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(result, indent=2))
    md = markdown(result)
    (out / "eval.md").write_text(md)
    bar_chart(result, out / "eval.png")
    return md
