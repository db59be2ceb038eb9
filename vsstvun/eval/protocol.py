"""The STVUN paper's space-time evaluation protocol on one HR clip.

Time x``f``: frames 0, f, 2f, ... are the inputs, the frames between two inputs are ground truth
at t = j / f (f = 2 is the paper's Tin = 0.5, f = 4 gives 0.25, 0.5, 0.75). Inputs are degraded
with :func:`vsstvun.data.degrade.degrade` and then, for a real-source degradation (``x264:28``
...), quantised to 8 bits and passed through :func:`vsstvun.data.codec.apply_degradation` as one
sequence (:func:`degrade_inputs`); the ground truth is always the clean HR frame, and every method
sees the same LR frames. For every input X3 a 7-frame window of the input
sequence is built (edge replication at the clip's ends; at scene cuts the window stays in X3's
shot like the filter's, :func:`vsstvun.scenechange.window_indices`), prepared once per method,
and asked for t = 0 (scored against X3's HR frame: "centre", space only) and, when an input X4
follows in the same shot, for every j / f ("intermediate"). Pairs across a cut have no meaningful
in-between frame and are skipped (counted in ``config.skipped_pairs``).

With a model, the ``sequential`` baseline (:class:`vsstvun.eval.methods.Sequential`) interpolates
between the model's centre frames of consecutive windows; its centre frames are the model's own.

Outputs are rounded to 8 bits before scoring, as if saved to PNG. Scores are per-frame means.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from .. import scenechange
from ..data.codec import Degradation, apply_degradation, parse_degradation, to_uint8
from ..data.degrade import crop_to_scale, degrade
from ..data.shots import CUT_THRESHOLD, cut_flags
from ..model import STVUN
from ..model.config import NEEDS_FOLLOWING, check_temporal
from . import metrics
from .methods import BicubicBlend, BicubicFlow, Method, ModelMethod, Sequential

METRICS = {
    "psnr_y": metrics.psnr_y,
    "ssim_y": metrics.ssim_y,
    "psnr_rgb": metrics.psnr,
    "ssim_rgb": metrics.ssim,
}
GROUPS = ("centre", "intermediate", "all")
BASELINES = (BicubicBlend.name, BicubicFlow.name, Sequential.name)


def window_positions(k: int, n: int, gap_cut: Sequence[bool]) -> list[int]:
    """Input indices of the 7-frame window centred on input ``k`` of ``n``.

    ``gap_cut[i]`` says whether a cut lies between inputs i and i + 1. Positions past either end
    of the clip repeat the end frame; positions past a cut repeat the last frame before it.
    """
    pos = [min(max(k + p - 3, 0), n - 1) for p in range(7)]
    cuts = [pos[p] != pos[p + 1] and bool(gap_cut[pos[p]]) for p in range(6)]
    return [pos[p] for p in scenechange.window_indices(cuts)]


def _to_float_frames(hr_frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 (as decoded) or ``(T, 3, H, W)`` float in [0, 1] -> float ``(T, 3, H, W)``."""
    if isinstance(hr_frames, np.ndarray):
        if hr_frames.dtype != np.uint8 or hr_frames.ndim != 4 or hr_frames.shape[-1] != 3:
            raise ValueError(f"expected (T, H, W, 3) uint8 frames, got {hr_frames.dtype} {hr_frames.shape}")
        return torch.from_numpy(hr_frames).permute(0, 3, 1, 2).float().div(255)
    if hr_frames.ndim != 4 or hr_frames.shape[1] != 3 or not hr_frames.is_floating_point():
        raise ValueError(f"expected (T, 3, H, W) float frames, got {hr_frames.dtype} {tuple(hr_frames.shape)}")
    return hr_frames.float().cpu()


def _quantise(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0, 1) * 255) / 255


def _to_uint8_hwc(x: torch.Tensor) -> np.ndarray:
    return to_uint8(x.permute(1, 2, 0).numpy())


def degrade_inputs(hr_inputs: torch.Tensor, scale: int, degradation: Degradation, seed: int = 0) -> torch.Tensor:
    """LR input sequence ``(N, 3, h, w)`` in [0, 1] of the HR input frames ``(N, 3, H, W)``.

    The paper's blur + decimation; for ``clean`` that float LR is used as it is (the protocol the
    first tables of docs/quality.md were made with). Any other degradation first rounds it to 8 bits, as a
    real source holds it, then degrades the whole sequence at once, so codec artifacts are
    temporally coherent as in a real stream (``seed`` drives the noise).
    """
    lr = degrade(hr_inputs, scale)
    if degradation.kind == "clean":
        return lr
    frames = apply_degradation(to_uint8(lr.permute(0, 2, 3, 1).numpy()), degradation, seed)
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div(255)


def input_gap_cuts(hr: torch.Tensor, time_factor: int, cut_threshold: float | None = CUT_THRESHOLD) -> list[bool]:
    """Whether a cut lies between each two consecutive input frames (frames 0, k, 2k, ... of the
    HR clip ``(T, 3, H, W)`` in [0, 1], k = ``time_factor``): those pairs get no in-between
    frames. None with ``cut_threshold=None`` (the clip as one shot)."""
    pairs = max((len(hr) - 1) // time_factor, 0)
    if cut_threshold is None:
        return [False] * pairs
    flags = cut_flags(np.rint(hr.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8), cut_threshold)
    return [bool(flags[k * time_factor : (k + 1) * time_factor].any()) for k in range(pairs)]


def showcase_input(n: int, gap_cut: Sequence[bool]) -> int | None:
    """The input nearest the clip's middle that has an in-between pair (``None``: no pair at all).

    It depends on the clip and its cuts only, so every degradation and method shows the same frames.
    """
    pairs = [k for k in range(n - 1) if not gap_cut[k]]
    return min(pairs, key=lambda k: (abs(k - (n - 1) / 2), k)) if pairs else None


def _showcase_frames(k: int | None, time_factor: int) -> dict[int, tuple[str, float]]:
    """HR frame index -> (group, t) of the frames kept whole for the crops: input ``k`` and, if
    there are in-between frames, the one nearest the middle of its pair (t = 0.5 for x2 and x4)."""
    if k is None:
        return {}
    keep = {k * time_factor: ("centre", 0.0)}
    if time_factor > 1:
        j = time_factor // 2
        keep[k * time_factor + j] = ("intermediate", j / time_factor)
    return keep


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {name: float(np.mean([r[name] for r in rows])) for name in METRICS} if rows else {}
    out["count"] = len(rows)
    return out


def evaluate(
    model: STVUN | None,
    hr_frames: np.ndarray | torch.Tensor,
    scale: int = 4,
    time_factor: int = 2,
    crop: int = 0,
    device: str | torch.device = "cpu",
    cut_threshold: float | None = CUT_THRESHOLD,
    baselines: bool = True,
    progress: bool = False,
    extra_methods: Sequence[Method] = (),
    degradation: Degradation | str = "clean",
    showcase: bool = False,
    temporal: str = "joint",
    model_name: str | None = None,
) -> dict:
    """Score ``model`` (if any), the baselines and ``extra_methods`` on one HR clip.

    ``hr_frames``: ``(T, H, W, 3)`` uint8 or ``(T, 3, H, W)`` float. ``crop`` shaves pixels off
    every border before scoring; ``cut_threshold=None`` treats the clip as one shot;
    ``degradation`` (a :class:`~vsstvun.data.codec.Degradation` or its spec) is applied to the LR.
    Returns ``{"config": {...}, "methods": {name: {"centre"|"intermediate"|"all": {metric: mean,
    "count": n}, "by_t": {"0.5": {...}}, "seconds": s}}}``. With ``showcase``, also
    ``"showcase": {"centre"|"intermediate": {"frame": i, "t": t, "images": {name: HWC uint8}}}``
    (every method's output and the ``"ground truth"`` at the frames :func:`showcase_input` picks;
    not JSON). ``temporal="warp"`` makes the model's in-between frames
    :meth:`~vsstvun.model.STVUN.warp_between` its centre frames of consecutive windows, as the
    filter's ``temporal="warp"`` does, instead of a decoder pass each; ``"fuse"`` merges those
    with the decoder pass's (:meth:`~vsstvun.model.STVUN.fuse_between`). ``model_name`` labels the
    model's rows and pictures (default ``stvun-<preset>``, which packaged variants share).
    """
    check_temporal(temporal)
    if temporal == "fuse" and model is not None and model.fusion is None:
        raise ValueError("temporal='fuse' needs a model with a fusion head (ModelConfig.fusion_ch)")
    if time_factor < 1:
        raise ValueError(f"time_factor must be >= 1, got {time_factor}")
    if isinstance(degradation, str):
        degradation = parse_degradation(degradation)
    hr = crop_to_scale(_to_float_frames(hr_frames), scale)
    n = (len(hr) - 1) // time_factor + 1
    inputs = [k * time_factor for k in range(n)]
    lr = degrade_inputs(hr[inputs], scale, degradation)
    gap_cut = input_gap_cuts(hr, time_factor, cut_threshold)

    methods: list[Method] = [BicubicBlend(scale), BicubicFlow(scale)] if baselines else []
    model_method = ModelMethod(model, device, model_name) if model is not None else None
    if model_method is not None:
        methods.append(model_method)
    methods += list(extra_methods)
    if not methods:
        raise ValueError("nothing to evaluate: no model, no baselines, no extra methods")
    sequential = Sequential() if baselines and model_method is not None else None
    names = [m.name for m in methods] + ([sequential.name] if sequential else [])
    names.sort(key=lambda name: name not in BASELINES)  # baselines first (stable: else as given)
    if len(set(names)) != len(names):
        raise ValueError(f"method names must be unique, got {names}")

    ts = [j / time_factor for j in range(1, time_factor)]
    rows: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {"centre": []} | {str(t): [] for t in ts} for name in names
    }
    seconds = dict.fromkeys(names, 0.0)
    keep = _showcase_frames(showcase_input(n, gap_cut), time_factor) if showcase else {}
    kept: dict[str, dict] = {
        group: {"frame": i, "t": t, "images": {"ground truth": _to_uint8_hwc(hr[i])}} for i, (group, t) in keep.items()
    }

    def score(name: str, k: int, t: float, out: torch.Tensor) -> None:
        index = inputs[k] + round(t * time_factor)
        out = _quantise(out)
        rows[name]["centre" if t == 0 else str(t)].append(
            {m: float(f(out, hr[index], crop)) for m, f in METRICS.items()}
        )
        if index in keep:
            kept[keep[index][0]]["images"][name] = _to_uint8_hwc(out)

    warp = model_method is not None and temporal in NEEDS_FOLLOWING
    previous_centre: torch.Tensor | None = None  # the model's centre frame of window k - 1
    previous_state: Any = None  # and its window state (temporal="warp" or "fuse")
    with torch.inference_mode():
        for k in tqdm(range(n), desc=f"windows ({degradation})", unit="win", disable=not progress):
            window = lr[window_positions(k, n, gap_cut)]
            has_pair = k < n - 1 and not gap_cut[k]
            for m in methods:
                start = time.perf_counter()
                state = m.prepare(window)
                joint = has_pair and not (warp and m is model_method)
                outs = {0.0: m.frame(state, 0.0)} | ({t: m.frame(state, t) for t in ts} if joint else {})
                if m is model_method and warp and ts and previous_state is not None and not gap_cut[k - 1]:
                    pair = model_method.pair(previous_state, state, temporal)
                    between = {t: model_method.between(previous_state, state, t, temporal, pair) for t in ts}
                else:
                    between = {}
                seconds[m.name] += time.perf_counter() - start
                for t, out in outs.items():
                    score(m.name, k, t, out)
                for t, out in between.items():
                    score(m.name, k - 1, t, out)
                if m is model_method:
                    centre, previous_state = outs[0.0], state
            if sequential is None:
                continue
            score(sequential.name, k, 0.0, centre)
            if previous_centre is not None and not gap_cut[k - 1]:
                start = time.perf_counter()
                state = sequential.pair(_quantise(previous_centre), _quantise(centre))
                outs = {t: sequential.frame(state, t) for t in ts}
                seconds[sequential.name] += time.perf_counter() - start
                for t, out in outs.items():
                    score(sequential.name, k - 1, t, out)
            previous_centre = centre

    results = {}
    for name in names:
        by_t = {t: rows[name][t] for t in map(str, ts)}
        inter = [r for group in by_t.values() for r in group]
        results[name] = {
            "centre": _summary(rows[name]["centre"]),
            "intermediate": _summary(inter),
            "all": _summary(rows[name]["centre"] + inter),
            "by_t": {t: _summary(r) for t, r in by_t.items()},
            "seconds": round(seconds[name], 3),
        }
    config = {
        "scale": scale,
        "time_factor": time_factor,
        "crop": crop,
        "degradation": str(degradation),
        "frames": len(hr),
        "hr_size": list(hr.shape[-2:]),
        "lr_size": list(lr.shape[-2:]),
        "windows": n,
        "skipped_pairs": int(sum(gap_cut)),
        "cut_threshold": cut_threshold,
        "temporal": temporal if model is not None else None,
    }
    result = {"config": config, "methods": results}
    if showcase:
        result["showcase"] = kept
    return result
