"""Benchmark harness: structure of the results on a tiny CPU run (speeds are never asserted)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vsstvun.bench import SUITES, BenchConfig, markdown, run_bench, write_json
from vsstvun.bench.backends import backends
from vsstvun.bench.breakdown import MODULE_STAGES, WARP_STAGE, breakdown
from vsstvun.bench.cache_payoff import cache_payoff
from vsstvun.bench.cli import main
from vsstvun.bench.config import parse_size
from vsstvun.bench.filter_glue import filter_glue
from vsstvun.bench.memory import PeakTracker
from vsstvun.bench.report import RunResult, Skipped
from vsstvun.bench.runtime import open_runtime
from vsstvun.model.ops.warp import get_backend

TINY = BenchConfig(size=(32, 32), preset="lite", scale=4, factor=2, warmup=0, repeats=1, frames=2)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.fixture(scope="module")
def rt():
    with open_runtime(TINY) as runtime:
        yield runtime


def test_parse_size_and_validation():
    assert parse_size("480x270") == (480, 270)
    with pytest.raises(ValueError, match="480x270"):
        parse_size("480")
    with pytest.raises(ValueError, match="fp16"):
        TINY.replace(precision="fp16")
    with pytest.raises(ValueError, match="frames"):
        TINY.replace(frames=1)


def test_suites_match_the_readme_runs():
    (cpu,) = SUITES["cpu"]
    assert (cpu.preset, cpu.size, cpu.out_size, cpu.factor, cpu.device) == ("lite", (480, 270), (1920, 1080), 2, "cpu")
    gpu = SUITES["gpu"]
    assert {(c.preset, c.precision) for c in gpu} == {(p, q) for p in ("full", "lite") for q in ("fp16", "fp32")}
    assert all(c.device == "cuda" and c.out_size == (3840, 2160) and c.factor == 2 for c in gpu)


def test_cpu_peak_memory_sees_an_allocation():
    with PeakTracker(torch.device("cpu")) as t:
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MiB, touched
    del block
    assert t.result.delta_mib > 50 and t.result.peak_mib >= t.result.delta_mib


def test_cache_payoff(rt):
    r = cache_payoff(rt)
    assert r.encode_ms > 0 and r.synthesize_ms > 0
    assert r.cached_ms_per_frame > 0 and r.uncached_ms_per_frame > 0
    assert r.speedup == pytest.approx(r.uncached_ms_per_frame / r.cached_ms_per_frame)
    assert r.peak_memory.peak_mib > 0
    assert [m for m, _ in r.rows()][-2] == "cache speed-up"


def test_filter_glue(rt):
    pytest.importorskip("vsstvun.filter.plugin")
    r = filter_glue(rt)
    if torch.cuda.is_available():
        assert isinstance(r, Skipped)  # the filter cannot be held on the CPU where CUDA exists
        return
    assert (r.source_frames, r.output_frames) == (2, 4)
    assert r.filter_ms_per_frame > 0 and r.direct_ms_per_frame > 0
    assert r.overhead_pct == pytest.approx(100 * (r.filter_ms_per_frame / r.direct_ms_per_frame - 1))


def test_profile_covers_the_pass(rt):
    model = rt.model
    r = breakdown(rt)
    assert set(r.stages) == {*MODULE_STAGES, WARP_STAGE, "other"}
    assert sum(s.percent for s in r.stages.values()) == pytest.approx(100)
    assert all(s.total_ms > 0 for name, s in r.stages.items() if name != "other")
    assert r.stages["decoder"].calls == 2  # centre decode + the t = 1/2 frame
    assert r.stages["EFST"].calls == 4  # once per feature level
    assert r.decoder_pass_ms > 0
    # Hooks and the warp wrapper are gone afterwards.
    assert "_warp_to_time" not in vars(model) and not model.decoder._forward_hooks


def test_backends_skip_on_the_cpu(rt):
    assert isinstance(backends(rt), Skipped)


def test_backend_is_restored():
    before = get_backend()
    with open_runtime(TINY.replace(backend="torch")):
        assert get_backend() == "torch"
    assert get_backend() == before


def test_cli_writes_markdown_and_json(tmp_path, capsys):
    path = tmp_path / "out" / "bench.json"
    assert (
        main(
            [
                "--size",
                "32x32",
                "--repeats",
                "1",
                "--frames",
                "2",
                "--warmup",
                "0",
                "--channels-last",
                "--json",
                str(path),
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    data = json.loads(path.read_text())
    (run,) = data["runs"]
    assert run["config"]["size"] == [32, 32] and run["config"]["channels_last"] is True
    assert set(run["sections"]) == {"cache_payoff", "filter_glue", "backends", "profile"}
    payoff = run["sections"]["cache_payoff"]
    assert payoff["speedup"] == pytest.approx(payoff["uncached_ms_per_frame"] / payoff["cached_ms_per_frame"])
    assert run["sections"]["backends"]["skipped"] is (not torch.cuda.is_available())
    for row in (
        "| (a) cache payoff | cache speed-up |",
        "| (b) filter vs direct |",
        "| (c) torch vs CuPy |",
        "| (d) profile | decoder |",
        "random init",
    ):
        assert row in out


def test_markdown_and_json_of_several_runs(tmp_path):
    runs = [RunResult(f"run {i}", {}, {}, ["a note"], {"backends": Skipped("(c) x", "why")}) for i in range(2)]
    text = markdown(runs)
    assert text.count("| section | measure | value |") == 2 and "| (c) x | skipped | why |" in text
    write_json(runs, tmp_path / "r.json")
    assert [r["sections"]["backends"]["skipped"] for r in json.loads((tmp_path / "r.json").read_text())["runs"]] == [
        True,
        True,
    ]


@needs_cuda
def test_cuda_run():
    result = run_bench(TINY.replace(device="cuda", precision="fp16", channels_last=True))
    payoff = result.sections["cache_payoff"]
    assert payoff.peak_memory.source.startswith("cuda") and payoff.speedup > 0


@needs_cuda
def test_backends_on_cuda():
    from vsstvun.model.ops.warp import cupy_available

    if not cupy_available():
        pytest.skip("needs CuPy")
    with open_runtime(TINY.replace(device="cuda")) as runtime:
        r = backends(runtime)
    assert {k.op for k in r.kernels} == {"backward_warp", "correlation"}
    assert set(r.model_ms_per_frame) == {"torch", "cupy"}
