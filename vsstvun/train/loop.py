"""Training loop: stage 1 (spatial, L_S) then stage 2 (whole network, L_M + L_S + L_F).

Resumable (``last.pt`` holds model, optimiser and step), deterministic for a seed, logs one
JSON line per logged step to ``log.jsonl`` (plot with ``python -m vsstvun.train.plot``), and
exports the inference weights as safetensors whenever it saves. Given a validation set, it scores
every export on it (and starting weights the log has no score for) and logs that as a line of
its own.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from ..model import STVUN, build_model
from ..model.blocks import init_weights
from ..model.checkpoint import load_checkpoint, save_checkpoint
from ..model.config import ModelConfig
from .losses import LossWeights, flow_loss, full_loss, fusion_loss, spatial_loss
from .teacher import dis_flow_lr
from .validate import ValidationSet, validate


@dataclass
class TrainConfig:
    out_dir: Path
    preset: str = "lite"
    scale: int = 4
    stage1_iters: int = 300
    stage2_iters: int = 2000
    batch_size: int = 8
    lr: float = 4e-4
    #: Where stage 2's cosine ends; at most ``lr`` (above it the "decay" would raise the rate).
    min_lr: float = 2e-5
    seed: int = 0
    device: str = "cpu"
    amp: bool = False
    weights: LossWeights = field(default_factory=LossWeights)
    log_every: int = 10
    save_every: int = 100
    #: Stop (after saving) once this many minutes of training have passed (validation not
    #: counted); 0 = no limit.
    max_minutes: float = 0.0
    #: Run stage 2's cosine over ``max_minutes`` when that ends first, not over ``stage2_iters``:
    #: for a fixed slot on a machine of unknown speed (a rented GPU), where a cut-short schedule
    #: would stop at a high rate. Off for runs resumed across sessions, whose minutes restart.
    lr_over_minutes: bool = False
    #: Weights to start from (e.g. the x4 model when training x2); tensors whose shape differs are skipped.
    init: Path | None = None
    #: Train only the flow net (L_M + teacher flow); every other weight stays as initialised.
    flow_only: bool = False
    #: Take the flow net from these weights instead (applied after ``init``): e.g. an x2 model
    #: starting from a flow net trained at x4.
    init_flow: Path | None = None
    #: Start the flow net from scratch (after ``init``), e.g. to retrain it under a new recipe.
    reset_flow: bool = False
    #: Train everything but the flow net (L_S + L_F + L_M): after the flow net is retrained on its
    #: own, the decoder, which learnt to synthesise from the old net's flows, adapts to the new ones.
    freeze_flow: bool = False
    #: The flow net's learning rate as a share of the others' when it trains beside them (the
    #: paper trains it end to end): a low share lets a pretrained flow net follow the in-between
    #: loss without losing the motion it learnt. 1 keeps one optimiser group, as runs before it had.
    flow_lr_scale: float = 1.0
    #: Override the preset's ``ModelConfig.flow_upsample`` (None = the preset's); the exported
    #: file records the value used.
    flow_upsample: int | None = None
    #: Override the preset's ``ModelConfig.align_centre`` (None = the preset's); the exported
    #: file records the value used. It adds no weights, so a run may switch it on when resuming.
    align_centre: bool | None = None
    #: Override the preset's ``ModelConfig.flow_refine`` (None = the preset's): the flow clean-up
    #: the decoder then trains on; it adds no weights either.
    flow_refine: int | None = None
    #: Override the preset's ``ModelConfig.fusion_ch`` (None = the preset's, or on resume the
    #: run's): give a network a :class:`~vsstvun.model.fusion.FusionHead` of this width.
    fusion_ch: int | None = None
    #: Override ``ModelConfig.fusion_dis`` (the head's DIS candidate), like ``fusion_ch``.
    fusion_dis: bool | None = None
    #: Override ``ModelConfig.fusion_split`` (each warped pair as its two sides), like ``fusion_ch``.
    fusion_split: bool | None = None
    #: Override ``ModelConfig.fusion_consistency`` (the head sees where DIS checks out), like ``fusion_ch``.
    fusion_consistency: bool | None = None
    #: Override ``ModelConfig.fusion_base`` (the head's soft DIS-warped bases), like ``fusion_ch``.
    fusion_base: bool | None = None
    #: Override ``ModelConfig.fusion_splat`` (the head's splatted candidate), like ``fusion_ch``.
    fusion_splat: bool | None = None
    #: Override ``ModelConfig.fusion_still`` (the head's unwarped centre frames), like ``fusion_ch``.
    fusion_still: bool | None = None
    #: Train only the fusion head (:func:`~vsstvun.train.losses.fusion_loss`): the rest, and so
    #: every centre frame, stays as initialised.
    fusion_only: bool = False
    #: Score the HR frames by minus each frame's PSNR
    #: (:func:`~vsstvun.train.losses.frame_psnr_loss`, what the evaluation scores) instead of L1:
    #: the centre and in-between frames of stages 1 and 2, or the fused frames with
    #: ``fusion_only``. The warped LR frames (L_M) and the teacher flow stay L1.
    psnr: bool = False
    #: With ``fusion_only``: the learning rate of the head's late candidates' convs
    #: (``ModelConfig.fusion_base``, ``fusion_splat``, ``fusion_still``) as a share of ``lr``. They
    #: start at zero beside a head that is usually trained already, and at its rate their logits
    #: would take thousands of steps to move.
    fusion_extra_lr_scale: float = 1.0
    #: What the batches were drawn from (sources, patch, strides, motion...): not used by the
    #: loop, only written to ``config.json`` so that a run's record is complete.
    data: dict = field(default_factory=dict)


def _lr_at(cfg: TrainConfig, step: int, minutes: float = 0.0) -> float:
    """Constant through stage 1, cosine decay to ``min_lr`` over stage 2 (with
    ``cfg.lr_over_minutes``, over whichever of its iterations and ``max_minutes`` runs out first;
    ``minutes`` is the training time so far)."""
    if step < cfg.stage1_iters:
        return cfg.lr
    p = (step - cfg.stage1_iters) / max(cfg.stage2_iters, 1)
    if cfg.lr_over_minutes and cfg.max_minutes > 0:
        p = max(p, minutes / cfg.max_minutes)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * min(p, 1.0)))


def _forever(batches: Iterable[dict[str, torch.Tensor]]) -> Iterator[dict[str, torch.Tensor]]:
    while True:
        yield from batches


def export_path(cfg: TrainConfig) -> Path:
    return Path(cfg.out_dir) / f"stvun_{cfg.preset}_x{cfg.scale}.safetensors"


def _extra_share_error(cfg: TrainConfig) -> str:
    # One message for the option's three misuses, checked before and after the model is built
    # (whether the head has late candidates may come from the --init file).
    return (
        f"fusion_extra_lr_scale={cfg.fusion_extra_lr_scale} is the late candidates' share of the "
        "fusion head's rate: it needs fusion_only, a head with late candidates (fusion_base, fusion_splat, "
        "fusion_still) "
        "and a share >= 0"
    )


def _param_groups(model: STVUN, cfg: TrainConfig) -> list[tuple[list[torch.nn.Parameter], float]]:
    """The optimiser's groups, each with its share of the learning rate: the flow net alone
    (``flow_only``); the fusion head (``fusion_only``), its late candidates' convs at
    ``fusion_extra_lr_scale``; or every trainable weight, in two groups when the flow net gets its
    own share (``flow_lr_scale``)."""
    if cfg.flow_only:
        return [(list(model.pwcnet.parameters()), 1.0)]
    if cfg.fusion_only:
        head = model.fusion
        extra = [p for conv_in, conv_out, _ in head.late for m in (conv_in, conv_out) for p in m.parameters()]
        ids = {id(p) for p in extra}
        rest = [p for p in head.parameters() if id(p) not in ids]
        if not extra and cfg.fusion_extra_lr_scale != 1.0:
            raise ValueError(_extra_share_error(cfg))
        return [(rest, 1.0), (extra, cfg.fusion_extra_lr_scale)] if extra else [(rest, 1.0)]
    trainable = [p for p in model.parameters() if p.requires_grad]
    if cfg.flow_lr_scale == 1.0:
        return [(trainable, 1.0)]
    flow = {id(p) for p in model.pwcnet.parameters()}
    return [
        ([p for p in trainable if id(p) not in flow], 1.0),
        ([p for p in trainable if id(p) in flow], cfg.flow_lr_scale),
    ]


def _check_resumable(ckpt: Path, saved_optim: dict, groups: list[tuple[list[torch.nn.Parameter], float]]) -> None:
    """Refuse, naming the flags, to resume a run whose optimiser held other weights than this
    one's: a run started with ``--fusion-only``, ``--flow-only``, ``--freeze-flow`` or a
    ``--flow-lr-scale`` must be resumed with them (torch's own error names none of them)."""
    held = [len(g["params"]) for g in saved_optim["param_groups"]]
    made = [len(params) for params, _ in groups]
    if held != made:
        raise ValueError(
            f"{ckpt} trained {held} tensors (per optimiser group) where this run trains {made}: resume it with "
            "the flags it was started with (--fusion-only, --flow-only, --freeze-flow, --flow-lr-scale; "
            "its config.json lists them)"
        )


def init_from(model: STVUN, path: Path, prefix: str = "") -> list[str]:
    """Copy every same-shaped tensor of a checkpoint whose name starts with ``prefix`` into
    ``model``; return the skipped keys (under that prefix). The file must be of the model's
    preset (its scale may differ): another preset's tensors that happen to share a shape are
    not a starting point, only noise."""
    loaded = load_checkpoint(path)
    if loaded.config.preset != model.config.preset:
        raise ValueError(
            f"{path} holds a {loaded.config.preset!r} network and this run trains {model.config.preset!r}: "
            "start from weights of the same preset (another scale is fine)"
        )
    source, own = loaded.state_dict(), model.state_dict()
    target = [k for k in own if k.startswith(prefix)]
    skipped = [k for k in target if k not in source or source[k].shape != own[k].shape]
    model.load_state_dict({k: source[k] for k in target if k not in skipped}, strict=False)
    return skipped


def saved_step(out_dir: Path) -> int:
    """The step a run folder's ``last.pt`` resumes from (0 without one): the caller of
    :func:`train` passes the batches from that step on. The file is memory-mapped, so only the
    step is read here, not the model and optimiser that :func:`train` loads."""
    ckpt = Path(out_dir) / "last.pt"
    if not ckpt.is_file():
        return 0
    try:
        return int(torch.load(ckpt, map_location="cpu", weights_only=True, mmap=True)["step"])
    except (RuntimeError, KeyError, OSError, EOFError) as exc:
        raise ValueError(
            f"{ckpt} cannot be read ({str(exc).splitlines()[0]}): a rerun with this --out resumes from it; "
            "delete it to start over, or pass another --out"
        ) from None


#: ``config.json`` fields a resumed run must share with the run it resumes: the network, and what
#: decides which windows come next (the stream is indexed by step times batch size).
_RESUME_FIXED = ("preset", "scale", "batch_size", "seed", "data")


def check_resume(out_dir: Path, config: dict[str, object]) -> None:
    """Refuse to resume the run in ``out_dir`` with options that change its network or its window
    stream (its ``config.json`` against this call's ``config``); without ``last.pt`` there is
    nothing to resume, and a log left by an earlier start that never saved is set aside."""
    out = Path(out_dir)
    if not (out / "last.pt").is_file():
        log = out / "log.jsonl"
        if log.is_file():
            log.replace(out / "log.jsonl.unsaved")  # its records belong to weights that were never saved
        return
    previous_file = out / "config.json"
    if not previous_file.is_file():
        return

    before, now = json.loads(previous_file.read_text()), json.loads(json.dumps(config, default=str))
    for c in (before, now):  # the validation windows may change: they follow the data, not the step
        if isinstance(c.get("data"), dict):
            c["data"].pop("val", None)
    changed = [k for k in _RESUME_FIXED if k in before and before[k] != now.get(k)]
    if changed:
        raise ValueError(
            f"{out} holds a run with other {', '.join(changed)} (see its config.json): a rerun with the same --out "
            "resumes it and must keep them; pass another --out to start a new run"
        )


def validated_steps(log_path: Path) -> set[int]:
    """Steps an existing log already holds a validation record for (a line cut short by a crash
    is skipped, not fatal)."""
    if not log_path.is_file():
        return set()
    steps = set()
    for line in log_path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "val_centre" in rec:
            steps.add(rec["step"])
    return steps


#: The overrides that shape weights (the fusion head's width and inputs): a resume cannot change them.
_SHAPING = (
    "fusion_ch",
    "fusion_dis",
    "fusion_split",
    "fusion_consistency",
    "fusion_base",
    "fusion_splat",
    "fusion_still",
)
#: :class:`TrainConfig` fields that override the preset's :class:`~vsstvun.model.config.ModelConfig`.
MODEL_OVERRIDES = ("flow_upsample", "align_centre", "flow_refine", *_SHAPING)


def model_overrides(cfg: TrainConfig, saved: dict | None) -> dict:
    """The preset fields a run changes: those given in ``cfg``, and on resume (``saved`` is the
    ``last.pt`` contents) the run's own values for those left unset, so leaving a flag out
    when resuming never quietly changes the model a run trains."""
    before = ModelConfig.from_dict(json.loads(saved["config"])) if saved and "config" in saved else None
    chosen = {k: getattr(cfg, k) for k in MODEL_OVERRIDES}
    if before is not None:
        changed = [k for k in _SHAPING if chosen[k] is not None and chosen[k] != getattr(before, k)]
        if changed:
            was = ", ".join(f"{k}={getattr(before, k)!r}" for k in changed)
            raise ValueError(f"the run to resume was started with {was}: its saved weights have that shape")
        chosen = {k: getattr(before, k) if v is None else v for k, v in chosen.items()}
    return {k: v for k, v in chosen.items() if v is not None}


def train(cfg: TrainConfig, batches: Iterable[dict[str, torch.Tensor]], val: ValidationSet | None = None) -> Path:
    """Run (or resume) training on an iterable of collated batches; return the exported weights.

    A resumed run takes ``batches`` as the ones after its saved step (:func:`saved_step`).

    With ``val``, each save logs ``val_*`` PSNR-Y records
    (:func:`vsstvun.train.validate.validate`), and so do the starting weights when the log has
    no score for them yet (a fresh run, or one resumed from before validation was on).
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    device = torch.device(cfg.device)
    if cfg.flow_only and cfg.freeze_flow:
        raise ValueError("flow_only and freeze_flow exclude each other: nothing would be trained")
    if cfg.weights.warp > 0 and not cfg.flow_only:
        raise ValueError("the HR warp loss (--w-warp) trains the flow net alone: use it with --flow-only")
    if cfg.fusion_only and (cfg.flow_only or cfg.stage1_iters):
        raise ValueError("fusion_only trains the fusion head alone: no flow_only, no stage 1 (stage1_iters 0)")
    if cfg.psnr and cfg.flow_only:
        raise ValueError("psnr scores HR frames, which the flow-only stage does not make")
    if cfg.flow_lr_scale != 1.0 and (cfg.flow_only or cfg.freeze_flow or cfg.flow_lr_scale < 0):
        raise ValueError(
            f"flow_lr_scale={cfg.flow_lr_scale} needs a flow net that trains beside the rest "
            "(not flow_only, not freeze_flow) and a share >= 0"
        )
    if cfg.fusion_extra_lr_scale != 1.0 and (not cfg.fusion_only or cfg.fusion_extra_lr_scale < 0):
        raise ValueError(_extra_share_error(cfg))
    if cfg.min_lr > cfg.lr:
        raise ValueError(
            f"lr={cfg.lr:g} is below min_lr={cfg.min_lr:g}, where stage 2's cosine ends: it would raise "
            "the rate instead of decaying it; pass --min-lr at or below --lr"
        )
    check_resume(out, asdict(cfg))
    ckpt = out / "last.pt"
    saved = torch.load(ckpt, map_location=device, weights_only=True) if ckpt.is_file() else None
    model = build_model(cfg.preset, cfg.scale, **model_overrides(cfg, saved)).to(device)
    if cfg.fusion_only:
        if model.fusion is None:
            raise ValueError("fusion_only needs a network with a fusion head: set fusion_ch")
        model.requires_grad_(False)
        model.fusion.requires_grad_(True)
    if cfg.freeze_flow:
        model.pwcnet.requires_grad_(False)
    groups = _param_groups(model, cfg)
    opt = torch.optim.Adam([{"params": params} for params, _ in groups], lr=cfg.lr)
    shares = [share for _, share in groups]  # this run's, also when it resumes a run started with others
    step = 0
    if saved is not None:
        model.load_state_dict(saved["model"])
        _check_resumable(ckpt, saved["optim"], groups)
        opt.load_state_dict(saved["optim"])
        step = int(saved["step"])
        torch.set_rng_state(saved["rng"])
    else:  # a fresh run: starting weights, applied in this order
        if cfg.init is not None:
            skipped = init_from(model, Path(cfg.init))
            print(f"initialised from {cfg.init}; kept fresh: {skipped or 'nothing'}")
        if cfg.init_flow is not None:
            skipped = init_from(model, Path(cfg.init_flow), prefix="pwcnet.")
            print(f"flow net from {cfg.init_flow}; kept fresh: {skipped or 'nothing'}")
        if cfg.reset_flow:
            init_weights(model.pwcnet)
    (out / "config.json").write_text(json.dumps(asdict(cfg), default=str, indent=2))

    def save() -> None:
        # Written beside, then renamed over, last.pt: a run killed while saving (a session's end
        # often is) keeps its previous checkpoint instead of a truncated one it cannot resume from.
        state = {"model": model.state_dict(), "optim": opt.state_dict(), "step": step, "rng": torch.get_rng_state()}
        partial = ckpt.with_suffix(".pt.partial")
        torch.save(state | {"config": json.dumps(model.config.to_dict())}, partial)
        partial.replace(ckpt)
        save_checkpoint(model, export_path(cfg), half=True, extra={"train_step": str(step)})

    total = cfg.stage1_iters + cfg.stage2_iters
    start = time.monotonic()
    model.train()
    it = _forever(batches)

    def record(stage: int, parts: dict[str, float]) -> None:
        # Six significant digits: the logs are committed beside the weights (docs/training), and
        # float32 losses printed to 17 digits made them a third larger for nothing.
        parts = {k: float(f"{v:.6g}") for k, v in parts.items()}
        rec = {"step": step, "stage": stage, "elapsed_s": round(time.monotonic() - start, 1), **parts}
        log.write(json.dumps(rec) + "\n")
        log.flush()

    def stage_of(s: int) -> int:
        return 1 if s < cfg.stage1_iters else 2

    # Time not spent training, left out of the --max-minutes budget and its cosine: validating,
    # and waiting for the first batch, which is when the DataLoader starts its workers (60 s for
    # 14 spawned ones on a GPU machine while each was sent the decoded data: a sixth of a slot).
    idle_s = 0.0

    def minutes() -> float:
        return (time.monotonic() - start - idle_s) / 60

    def score(stage: int) -> None:
        nonlocal idle_s
        t0 = time.monotonic()
        record(stage, validate(model, val))
        idle_s += time.monotonic() - t0

    log_path = out / "log.jsonl"
    unscored = val is not None and step not in validated_steps(log_path)
    with log_path.open("a") as log, tqdm(total=total, initial=step, desc="train", unit="it") as bar:
        if unscored:  # the starting weights: a fresh run's, or those of a run resumed from before --val
            score(stage_of(max(step - 1, 0)))
        if step < total:  # the wait for the first batch, measured once, is idle time (see idle_s)
            t0 = time.monotonic()
            it = itertools.chain([next(it)], it)
            idle_s += time.monotonic() - t0
        while step < total:
            batch = {k: v.to(device, non_blocking=True) for k, v in next(it).items()}
            lr = _lr_at(cfg, step, minutes())
            for g, share in zip(opt.param_groups, shares, strict=True):
                g["lr"] = lr * share
            stage = stage_of(step)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp):
                if stage == 1:
                    loss = spatial_loss(model, batch["lr"], batch["hr_centre"], cfg.psnr)
                    parts = {"loss": loss.item(), "L_S": loss.item()}
                elif cfg.fusion_only:
                    loss, parts = fusion_loss(model, batch, cfg.psnr)
                else:
                    teacher = None
                    if cfg.weights.teacher > 0 and not cfg.freeze_flow:
                        teacher = dis_flow_lr(batch["hr_centre"], batch["hr_next"], cfg.scale)
                    if cfg.flow_only:
                        loss, parts = flow_loss(model, batch, cfg.weights, teacher)
                    else:
                        loss, parts = full_loss(model, batch, cfg.weights, teacher, cfg.psnr)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # frozen weights have no grad
            opt.step()
            step += 1
            bar.update(1)
            if step % cfg.log_every == 0 or step == total:
                bar.set_postfix({k: f"{v:.4f}" for k, v in parts.items()}, refresh=False)
                record(stage, {"lr": lr, **parts})
            out_of_time = cfg.max_minutes > 0 and minutes() > cfg.max_minutes
            if step % cfg.save_every == 0 or step == total or out_of_time:
                save()
                if val is not None:
                    score(stage)
            if out_of_time:
                break
    return export_path(cfg)
