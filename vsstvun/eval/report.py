"""Write an evaluation result as JSON, a markdown table, a bar chart and side-by-side crops."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from ..charts import save_chart
from .crops import side_by_side
from .methods import BicubicBlend, BicubicFlow, Sequential
from .protocol import BASELINES, GROUPS

COLUMNS = (("psnr_y", "PSNR-Y", 2), ("ssim_y", "SSIM-Y", 4), ("psnr_rgb", "PSNR-RGB", 2), ("ssim_rgb", "SSIM-RGB", 4))
#: Baselines each frame group is compared with. Not ``sequential`` for the centre frames: those are
#: the model's own.
MARGIN_BASELINES = {"centre": BASELINES[:2], "intermediate": BASELINES}
#: Methods shown in the crops per frame group (those present), then the model and the ground truth.
#: At t = 0 both bicubic baselines give the same frame, and the sequential one the model's.
CROP_METHODS = {"centre": (BicubicBlend.name,), "intermediate": (BicubicFlow.name, Sequential.name)}


def model_name(result: dict) -> str | None:
    """The method that is not a baseline (the network), if any."""
    return next((name for name in result["methods"] if name not in BASELINES), None)


def margins(result: dict) -> dict[str, tuple[float, str]]:
    """Per frame group: the model's PSNR-Y minus the best baseline's, and that baseline's name."""
    methods, model = result["methods"], model_name(result)
    out: dict[str, tuple[float, str]] = {}
    if model is None or "psnr_y" not in methods[model]["centre"]:
        return out
    for group, candidates in MARGIN_BASELINES.items():
        scored = [b for b in candidates if b in methods and "psnr_y" in methods[b][group]]
        if scored and "psnr_y" in methods[model][group]:
            best = max(scored, key=lambda b: methods[b][group]["psnr_y"])
            out[group] = (methods[model][group]["psnr_y"] - methods[best][group]["psnr_y"], best)
    return out


def title(result: dict) -> str:
    """Clip, degradation, scales and frame count in one line (plots, tables and crops share it)."""
    c = result["config"]
    clip = f"{c['clip']}, " if c.get("clip") else ""
    return (
        f"{clip}{c.get('degradation', 'clean')}: x{c['scale']} space, x{c['time_factor']} time, "
        f"{c['frames']} frames {c['hr_size'][1]}x{c['hr_size'][0]}"
    )


def markdown(result: dict) -> str:
    """One row per method and frame group (centre / intermediate / all), one column per metric,
    then the model's margins over the best baseline."""
    head = "| method | frames | n | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    lines = [f"**{title(result)}, crop {result['config']['crop']} px**", "", head, "|" + "---|" * (3 + len(COLUMNS))]
    for name, res in result["methods"].items():
        for group in GROUPS:
            s = res[group]
            cells = [f"{s[key]:.{digits}f}" if key in s else "-" for key, _, digits in COLUMNS]
            lines.append(f"| {name} | {group} | {s['count']} | " + " | ".join(cells) + " |")
    found = margins(result)
    if found:
        parts = [f"{group} {m:+.2f} dB (vs {best})" for group, (m, best) in found.items()]
        lines += ["", f"{model_name(result)} minus the best baseline, PSNR-Y: " + ", ".join(parts)]
    return "\n".join(lines) + "\n"


def bar_chart(result: dict, path: str | Path) -> None:
    """PSNR-Y (dB) and SSIM-Y per frame group, one labelled bar per method."""
    methods = list(result["methods"])
    fig = Figure(figsize=(12, 4.5))  # no pyplot: no global backend or figure registry to manage
    axes = fig.subplots(1, 2)
    width = 0.8 / len(methods)
    for ax, (key, label, digits) in zip(axes, COLUMNS[:2], strict=True):
        for i, name in enumerate(methods):
            values = [result["methods"][name][g].get(key, float("nan")) for g in GROUPS]
            xs = [g + (i - (len(methods) - 1) / 2) * width for g in range(len(GROUPS))]
            bars = ax.bar(xs, values, width, label=name)
            ax.bar_label(bars, fmt=f"%.{digits}f", fontsize=7, rotation=90, padding=2)
        shown = [result["methods"][m][g][key] for m in methods for g in GROUPS if key in result["methods"][m][g]]
        if shown:  # zoom in: the differences, not the absolute values, are what matter
            spread = max(max(shown) - min(shown), 0.5 if key.startswith("psnr") else 0.005)
            ax.set_ylim(min(shown) - 0.3 * spread, max(shown) + 0.35 * spread)  # room for the labels
        ax.set_xticks(range(len(GROUPS)), GROUPS)
        ax.set_ylabel(f"{label} (dB)" if key.startswith("psnr") else label)
        ax.grid(axis="y", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=len(methods), fontsize=9)
    fig.suptitle(title(result))
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # the legend below the plots, clear of the bars
    save_chart(fig, path)


def write_crops(result: dict, out: Path) -> dict[str, dict]:
    """``crop_<group>.png`` per showcase frame; returns where each crop lies (for the JSON)."""
    model, placed = model_name(result), {}
    for group, shot in result.get("showcase", {}).items():
        images = shot["images"]
        names = [n for n in (*CROP_METHODS[group], model) if n in images] + ["ground truth"]
        what = "centre frame (space only)" if group == "centre" else f"in-between frame, t = {shot['t']:g}"
        y, x = side_by_side(
            {n: images[n] for n in names}, f"{title(result)}\nframe {shot['frame']}: {what}", out / f"crop_{group}.png"
        )
        placed[group] = {"frame": shot["frame"], "t": shot["t"], "top_left": [y, x], "methods": names}
    return placed


#: Significant digits kept in ``eval.json``: 0.001 dB of a PSNR and 1e-6 of an SSIM, far below
#: any difference the tables discuss; the 17-digit floats made the committed files a fifth larger.
JSON_DIGITS = 6


def significant(value: object, digits: int = JSON_DIGITS) -> object:
    """``value`` with every float, however deep in dicts and lists, rounded to ``digits``
    significant digits (what ``eval.json`` stores)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: significant(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [significant(v, digits) for v in value]
    return value


def write_report(result: dict, out_dir: str | Path, pictures: bool = True) -> str:
    """``eval.json``, ``eval.md``, ``eval.png`` and the crops (with a showcase) in ``out_dir``;
    returns the markdown. ``pictures=False`` writes the tables alone: scores of training exports
    that are compared, not shipped, need no megabytes of PNGs in the repository."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = {key: value for key, value in result.items() if key != "showcase"}
    data["crops"] = write_crops(result, out) if pictures else {}
    (out / "eval.json").write_text(json.dumps(significant(data), indent=1))
    md = markdown(result) + "".join(f"\n![{group} crop](crop_{group}.png)\n" for group in data["crops"])
    (out / "eval.md").write_text(md)
    if pictures:
        bar_chart(result, out / "eval.png")
    return md


def write_folder_summary(out_dir: Path, table: Callable[[list[dict]], str]) -> str:
    """Rebuild ``out_dir/summary.md`` from every clip's JSON in the folder (runs add clips one at a
    time, so the summary covers the earlier ones too) and return it."""
    text = table([json.loads(p.read_text()) for p in sorted(out_dir.glob("*.json"))])
    (out_dir / "summary.md").write_text(text)
    return text
