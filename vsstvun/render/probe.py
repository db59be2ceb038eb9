"""What the driver needs to know about a script: output length, frame rate and scene cuts.

The script is evaluated in a child Python the way vspipe does it (``-a`` values as string
globals, ``__name__ == "__vapoursynth__"``, the script's folder as working directory, so relative
paths mean the same as on the workers): a script that fails shows its own traceback, and the
driver never loads the script's models or claims a GPU.

:func:`main` (``SCRIPT [-a key=value ...] [--cuts-from N]``) prints the result as JSON in the
child; :func:`probe_script` is the driver's side.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .tools import RenderError, arg_flags, tail

_CHILD = f"import sys; from {__name__} import main; sys.exit(main())"


@dataclass(frozen=True)
class ScriptInfo:
    """Output 0 of a script: ``num_frames`` at ``fps``; ``cuts`` are output frames starting a shot."""

    num_frames: int
    fps: Fraction
    cuts: tuple[int, ...] = ()


def probe_script(script: Path, args: Mapping[str, str], cuts_from: int | None = None) -> ScriptInfo:
    """Evaluate ``script`` in a child Python and describe its output (see the module docstring)."""
    # Not ``-m``: this module is already imported by the package's __init__ (runpy would warn).
    command = [sys.executable, "-c", _CHILD, str(script), *arg_flags(args)]
    if cuts_from is not None:
        command += ["--cuts-from", str(cuts_from)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RenderError(f"{script} failed to evaluate:\n{tail(done.stderr)}")
    data = json.loads(done.stdout.splitlines()[-1])
    return ScriptInfo(data["num_frames"], Fraction(data["fps"]), tuple(data["cuts"]))


def evaluate(script: Path, args: Mapping[str, str], cuts_from: int | None = None) -> ScriptInfo:
    """Run ``script`` in this process and read its outputs (the child's side of :func:`probe_script`)."""
    import vapoursynth as vs

    from .plan import map_cuts

    script = script.resolve()
    os.chdir(script.parent)  # vspipe evaluates scripts in their own folder
    runpy.run_path(str(script), init_globals=dict(args), run_name="__vapoursynth__")
    outputs = vs.get_outputs()
    clip = _video_output(outputs, 0, script)
    if clip.fps == 0:
        raise RenderError(f"{script}: output 0 has a variable frame rate; set one with core.std.AssumeFPS")
    cuts: list[int] = []
    if cuts_from is not None:
        reference = _video_output(outputs, cuts_from, script)
        found = _prop_cuts(reference)
        if reference.fps == 0:
            if reference.num_frames != clip.num_frames:
                raise RenderError(f"{script}: output {cuts_from} has a variable frame rate and another length")
            cuts = found
        else:
            cuts = map_cuts(found, reference.fps, clip.fps)
    return ScriptInfo(clip.num_frames, clip.fps, tuple(cuts))


def _video_output(outputs: Mapping, index: int, script: Path):
    import vapoursynth as vs

    output = outputs.get(index)
    if output is None:
        raise RenderError(f"{script} sets no output {index} (clip.set_output({index}))")
    clip = getattr(output, "clip", None)  # audio outputs have no clip
    if not isinstance(clip, vs.VideoNode):
        raise RenderError(f"{script}: output {index} is not a video clip")
    return clip


def _prop_cuts(clip) -> list[int]:
    """Frames ``k`` with a cut before them per ``_SceneChangePrev``/``_SceneChangeNext``."""
    from ..scenechange import cut_from_props

    cuts, previous = [], {}
    for k, frame in enumerate(clip.frames(close=True)):
        props = dict(frame.props)
        if k and cut_from_props(previous, props):
            cuts.append(k)
        previous = props
    return cuts


def parse_arg(text: str) -> tuple[str, str]:
    """One vspipe-style ``-a key=value``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=__name__, description="Describe a script's output as JSON.")
    p.add_argument("script", type=Path)
    p.add_argument("-a", "--arg", dest="args", type=parse_arg, action="append", default=[])
    p.add_argument("--cuts-from", type=int)
    options = p.parse_args(argv)
    try:
        info = evaluate(options.script, dict(options.args), options.cuts_from)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"num_frames": info.num_frames, "fps": str(info.fps), "cuts": list(info.cuts)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
