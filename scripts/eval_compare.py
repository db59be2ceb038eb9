"""Markdown table comparing two sets of evaluation results (``scripts/eval_quick.sh`` folders).

Usage: python scripts/eval_compare.py BEFORE_DIR AFTER_DIR  (e.g. results/eval/quick_x4/lite-clean
results/eval/quick_x4/lite). For each clip and LR degradation: PSNR-Y of the space-only (centre)
frames against grid-aligned bicubic, and of the in-between frames against the best of
bicubic+blend, bicubic+DIS and the sequential pipeline (each model's own centre frames + DIS).

``--models DIR DIR ...``: the margins alone, one column per folder (named by it), the best of each
row in bold: which weights to use for which source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BASELINES = ("bicubic+blend", "bicubic+DIS", "sequential")


def _load(folder: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for path in sorted(folder.glob("*/*/eval.json")):
        result = json.loads(path.read_text())
        out[(path.parent.parent.name, result["config"]["degradation"])] = result["methods"]
    return out


def _model(methods: dict) -> dict:
    return next(v for k, v in methods.items() if k not in BASELINES)


def _rows(results: dict[tuple[str, str], dict]) -> list[tuple[str, str]]:
    return sorted(results, key=lambda k: (k[0], ["clean", "x264:18", "x264:28"].index(k[1])))


def _references(methods: dict) -> tuple[float, float]:
    """What the model is measured against: bicubic's centre PSNR-Y and the best baseline's in-between one."""
    return methods["bicubic+blend"]["centre"]["psnr_y"], max(methods[m]["intermediate"]["psnr_y"] for m in BASELINES)


def _margins(methods: dict) -> tuple[float, float]:
    """The model's centre margin over bicubic and in-between margin over the best baseline."""
    bic, best = _references(methods)
    model = _model(methods)
    return model["centre"]["psnr_y"] - bic, model["intermediate"]["psnr_y"] - best


def models_table(folders: list[Path]) -> None:
    results = {f.name: _load(f) for f in folders}
    names = list(results)
    print(
        "| clip / time | LR | "
        + " | ".join(f"centre: {n}" for n in names)
        + " | "
        + " | ".join(f"in-between: {n}" for n in names)
        + " |"
    )
    print("|---|---|" + "---|" * 2 * len(names))
    for key in _rows(results[names[0]]):
        if not all(key in r for r in results.values()):
            continue
        centre, between = zip(*(_margins(results[n][key]) for n in names), strict=True)
        cells = [f"**{v:+.2f}**" if v == max(col) else f"{v:+.2f}" for col in (centre, between) for v in col]
        print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")


def main() -> None:
    if sys.argv[1] == "--models":
        models_table([Path(p) for p in sys.argv[2:]])
        return
    before, after = (_load(Path(p)) for p in sys.argv[1:3])
    print(
        "| clip / time | LR | centre: bicubic | before | after | after - bicubic "
        "| in-between: best baseline (after) | before | after | after - best |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in _rows(after):
        if key not in before:
            continue
        b, a = before[key], after[key]
        bic, best = _references(a)
        cb, ca = _model(b)["centre"]["psnr_y"], _model(a)["centre"]["psnr_y"]
        ib, ia = _model(b)["intermediate"]["psnr_y"], _model(a)["intermediate"]["psnr_y"]
        print(
            f"| {key[0]} | {key[1]} | {bic:.2f} | {cb:.2f} | {ca:.2f} | {ca - bic:+.2f} dB "
            f"| {best:.2f} | {ib:.2f} | {ia:.2f} | {ia - best:+.2f} dB |"
        )


if __name__ == "__main__":
    main()
