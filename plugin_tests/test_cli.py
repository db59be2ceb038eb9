"""``python -m vsstvun`` (info, convert, verify) and the train-extra hint of the other commands."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import vsstvun
from vsstvun.cli import info
from vsstvun.cli.main import main
from vsstvun.model import build_model
from vsstvun.model.checkpoint import load_checkpoint
from vsstvun.weights import WEIGHTS_DIR

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, block: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in which the ``block`` modules cannot be imported."""
    blocker = f"import sys; sys.modules.update(dict.fromkeys({block!r}))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", blocker + code], capture_output=True, text=True, env=env, timeout=300)


def run_module(module: str, *args: str, block: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``python -m module args``, with the ``block`` modules missing."""
    code = f"import runpy; sys.argv = [{module!r}, *{list(args)!r}]; runpy.run_module({module!r}, run_name='__main__')"
    return run_python(code, block)


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("info", "convert", "verify"))


def test_info_reports_versions_and_packaged_weights():
    lines = dict(info.report())
    assert lines["vsstvun"].startswith(vsstvun.__version__)
    assert lines["torch"].startswith(torch.__version__)
    assert not any(value.startswith("error:") for value in lines.values()), lines
    packaged = sorted(WEIGHTS_DIR.glob("*.safetensors"))
    assert packaged
    for path in packaged:
        line = lines[f"weights {path.name}"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() in line
        assert line.startswith(f"lite x{path.stem[-1]}")
        shared = f"stvun_flow_lite_x{path.stem[-1]}.safetensors"
        assert ("shared flow net" if path.name == shared else f"(flow net in {shared})") in line


def test_info_follows_vapoursynth_config(tmp_path, monkeypatch):
    """The config ``python -m vapoursynth config`` writes is the one reported."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert "not configured" in dict(info.report())["vspipe python"]
    subprocess.run([sys.executable, "-m", "vapoursynth", "config"], check=True, capture_output=True, env=os.environ)
    lines = dict(info.report())
    assert lines["vsscript config"] == str(tmp_path / "vapoursynth" / "vapoursynth.toml")
    assert lines["vspipe python"] == f"{sys.executable} (this Python)"


def test_info_command_prints_report():
    result = run_module("vsstvun", "info")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split()
    assert first[:2] == ["vsstvun", vsstvun.__version__]
    assert "warp backend" in result.stdout and "vsscript config" in result.stdout


@pytest.fixture(scope="module")
def authors_pth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    """A checkpoint laid out like the authors' ``STVUN.pth``: a pickled state dict under
    ``state_dict``, DataParallel ``module.`` prefixes and the old ``efst.cconv`` name (a random-init
    ``lite`` x2 stands in for the 120 MB ``full`` network: same reader, same code path)."""
    torch.manual_seed(0)
    state = build_model("lite", 2).state_dict()
    legacy = {"module." + k.replace("efst.early_fusion.", "efst.cconv."): v for k, v in state.items()}
    assert any(".cconv." in k for k in legacy)
    path = tmp_path_factory.mktemp("authors") / "STVUN.pth"
    torch.save({"state_dict": legacy}, path)
    return path, state


@pytest.mark.parametrize("precision", ["--fp32", "--fp16"])
def test_convert_round_trips(authors_pth, tmp_path, capsys, precision):
    source, state = authors_pth
    target = tmp_path / "out.safetensors"
    assert main(["convert", str(source), str(target), precision]) == 0
    assert "read back: equal" in capsys.readouterr().out
    loaded = load_checkpoint(target).state_dict()
    assert loaded.keys() == state.keys()
    for name, value in state.items():
        want = value.half().float() if precision == "--fp16" and value.is_floating_point() else value
        assert torch.equal(loaded[name], want), name
    # stored as fp16 (half the size of the fp32 source), not as fp16-rounded fp32
    expected_ratio = 0.5 if precision == "--fp16" else 1.0
    assert target.stat().st_size / source.stat().st_size == pytest.approx(expected_ratio, rel=0.05)
    assert main(["verify", str(target)]) == 0
    assert "preset lite, x2" in capsys.readouterr().out


def test_convert_refuses_to_overwrite_its_source(authors_pth, capsys):
    source, _ = authors_pth
    assert main(["convert", str(source), str(source)]) == 1
    assert "is the source file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "flow", "message"),
    [
        (".", None, "is a folder; give the output file's path"),
        ("out.safetensors", "sub/flow.safetensors", "must be a bare file name"),
        ("out.safetensors", "out.safetensors", "must be a bare file name, other than the output's"),
    ],
)
def test_convert_refuses_targets_it_could_not_write_as_asked(authors_pth, tmp_path, capsys, target, flow, message):
    source, _ = authors_pth
    before = sorted(tmp_path.iterdir())
    args = ["convert", str(source), str(tmp_path / target)] + (["--shared-flow", flow] if flow else [])
    assert main(args) == 1
    assert message in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == before  # nothing written


def test_convert_removes_a_file_that_fails_to_read_back(authors_pth, tmp_path, capsys, monkeypatch):
    """Whatever the read-back raises, the unchecked file is not left behind."""
    from vsstvun.cli import convert
    from vsstvun.model.checkpoint import CheckpointError

    source, _ = authors_pth
    target = tmp_path / "out.safetensors"

    def unreadable(path):
        if Path(path) == target:
            raise CheckpointError(f"{path} is corrupt")
        return load_checkpoint(path)

    monkeypatch.setattr(convert, "load_checkpoint", unreadable)
    assert main(["convert", str(source), str(target)]) == 1
    assert "is corrupt" in capsys.readouterr().err
    assert not target.exists()


def test_verify_a_folder(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 1
    assert "is a folder, not a weights file" in capsys.readouterr().err


def test_verify_rejects_a_truncated_file(authors_pth, tmp_path, capsys):
    source, _ = authors_pth
    broken = tmp_path / "broken.pth"
    broken.write_bytes(source.read_bytes()[:5000])
    assert main(["verify", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("verify: ") and "broken.pth" in err


def test_verify_missing_file(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope.safetensors")]) == 1
    assert "not found" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["vsstvun.train", "vsstvun.eval", "vsstvun.bench"])
def test_commands_name_the_missing_extra(command):
    result = run_module(command, "--help", block=("cv2", "tqdm"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"python -m {command}: missing cv2, tqdm; install the train extra: pip install 'vsstvun[train]'"
    )


def test_filter_runs_without_the_extras(tmp_path):
    """The filter imports and runs with none of the train extra's modules importable."""
    script = tmp_path / "run.py"
    script.write_text(
        "import vapoursynth as vs\n"
        "import vsstvun\n"
        "clip = vs.core.std.BlankClip(format=vs.RGBS, width=32, height=24, length=3, color=[0.2, 0.5, 0.8])\n"
        "out = vsstvun.stvun(clip, scale=2, device_index=-1)\n"
        "frames = [out.get_frame(n) for n in range(out.num_frames)]\n"
        "print(len(frames), out.width, out.height)\n"
    )
    result = run_python(
        f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')",
        block=("cv2", "tqdm", "matplotlib", "skimage"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["6", "64", "48"]


def test_convert_can_switch_the_flow_clean_up_on(authors_pth, tmp_path, capsys):
    """``--flow-refine`` changes the stored config and nothing else; a bad window is refused."""
    source, state = authors_pth
    target = tmp_path / "refined.safetensors"
    assert main(["convert", str(source), str(target), "--flow-refine", "17"]) == 0
    assert "flow_refine 17" in capsys.readouterr().out
    loaded = load_checkpoint(target)
    assert loaded.config.flow_refine == 17
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())
    assert main(["convert", str(source), str(tmp_path / "bad.safetensors"), "--flow-refine", "4"]) == 1
    assert "flow_refine must be 0" in capsys.readouterr().err
