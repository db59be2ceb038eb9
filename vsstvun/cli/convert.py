"""``convert`` (the authors' ``STVUN.pth`` to this project's safetensors) and ``verify``.

A converted file is only kept once it has been read back and every tensor matches the source
(bit for bit in fp32; equal to the source rounded to fp16 with ``--fp16``).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import torch

from ..model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ..model.stvun import STVUN


def describe(model: STVUN) -> str:
    params = sum(p.numel() for p in model.parameters())
    return f"preset {model.config.preset}, x{model.scale}, {params:,} parameters"


def mismatched_tensors(expected: STVUN, written: STVUN, half: bool) -> list[str]:
    """Names of the tensors of ``written`` that differ from ``expected`` as stored (fp16-rounded
    when ``half``); also any config difference."""
    problems = [] if expected.config == written.config else ["config"]
    got = written.state_dict()
    for name, value in expected.state_dict().items():
        want = value.half().float() if half and value.is_floating_point() else value
        if name not in got or not torch.equal(got[name], want):
            problems.append(name)
    return problems


def convert(
    source: Path, target: Path, half: bool, flow_refine: int | None = None, shared_flow: str | None = None
) -> STVUN:
    """Write ``source`` (any file :func:`load_checkpoint` reads) as our safetensors at ``target``
    and check it; raises :class:`CheckpointError` (and removes ``target``) if the check fails.

    ``flow_refine`` replaces the config's inference-time flow clean-up window
    (:attr:`~vsstvun.model.config.ModelConfig.flow_refine`), e.g. to ship it on with trained weights.
    ``shared_flow`` keeps the flow net in that sibling file instead
    (:func:`~vsstvun.model.checkpoint.write_state`'s ``flow_file``).
    """
    if target.resolve() == source.resolve():
        raise CheckpointError(f"{target} is the source file; choose another output path")
    if target.is_dir():
        raise CheckpointError(f"{target} is a folder; give the output file's path")
    if shared_flow is not None and (Path(shared_flow).name != shared_flow or shared_flow == target.name):
        raise CheckpointError(
            f"--shared-flow {shared_flow!r} must be a bare file name, other than the output's: the flow file "
            "is written beside the output, where the weights find it"
        )
    model = load_checkpoint(source)
    if flow_refine is not None:
        model.config = dataclasses.replace(model.config, flow_refine=flow_refine)
    save_checkpoint(model, target, half=half, extra={"converted_from": source.name}, flow_file=shared_flow)
    try:
        bad = mismatched_tensors(model, load_checkpoint(target), half)
        if bad:
            raise CheckpointError(f"{target} did not read back equal to {source} ({len(bad)} tensors, e.g. {bad[:3]})")
    except BaseException:
        target.unlink()  # a file that failed its check is not left to be used
        raise
    return model


def run_convert(
    source: Path, target: Path, half: bool, flow_refine: int | None = None, shared_flow: str | None = None
) -> int:
    try:
        model = convert(source, target, half, flow_refine, shared_flow)
    except (CheckpointError, OSError, ValueError) as exc:
        print(f"convert: {exc}", file=sys.stderr)
        return 1
    precision = "fp16" if half else "fp32"
    refine = f", flow_refine {model.config.flow_refine}" if model.config.flow_refine else ""
    size = f"{target.stat().st_size / 1e6:.1f} MB" + (f", flow net in {shared_flow}" if shared_flow else "")
    print(f"wrote {target} ({describe(model)}{refine}, {precision}, {size}); read back: equal")
    return 0


def run_verify(path: Path) -> int:
    try:
        model = load_checkpoint(path)
    except (CheckpointError, OSError) as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: OK ({describe(model)})")
    return 0
