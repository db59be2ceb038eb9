"""Benchmark harness: structure of the results on a tiny CPU run (speeds are never asserted)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vsstvun.bench import SUITES, BenchConfig, markdown, run_bench, write_json
from vsstvun.bench import report as report_module
from vsstvun.bench.__main__ import main
from vsstvun.bench.config import parse_size
from vsstvun.bench.measure import (
    MODULE_STAGES,
    WARP_STAGE,
    backends,
    cache_payoff,
    cached_ms_per_frame,
    count_gflop_per_frame,
    filter_glue,
    limit,
    open_runtime,
    profile,
)
from vsstvun.bench.report import PEAK_ENV, PeakTracker, RunResult, Skipped, cpu_flop_per_cycle, peak_gflops
from vsstvun.model import build_model
from vsstvun.model.checkpoint import save_checkpoint
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
    with pytest.raises(ValueError, match="precision"):
        TINY.replace(precision="int8")
    with pytest.raises(ValueError, match="frames"):
        TINY.replace(frames=1)


def test_suites_match_the_readme_runs():
    cpu = SUITES["cpu"]
    assert [c.precision for c in cpu] == ["bf16", "fp32"]  # compared within one run
    for c in cpu:
        assert (c.preset, c.size, c.out_size, c.factor, c.device) == ("lite", (480, 270), (1920, 1080), 2, "cpu")
    gpu = SUITES["gpu"]
    assert {(c.preset, c.precision) for c in gpu} == {(p, q) for p in ("full", "lite") for q in ("fp16", "fp32")}
    assert all(c.device == "cuda" and c.out_size == (3840, 2160) and c.factor == 2 for c in gpu)
    assert {c.num_streams for c in gpu} == {1, 2, 4} and (2, 2) in {c.tiles for c in gpu}
    quick = SUITES["gpu-quick"]  # the lent session's one call: the headline rows, both presets
    assert [(c.preset, c.precision) for c in quick] == [("full", "fp16"), ("lite", "fp16")]
    assert all(c.replace(repeats=5) in gpu for c in quick)
    filters = SUITES["gpu-filter"]  # the call that carries VapourSynth: the filter's options
    assert {(c.preset, c.num_streams, c.tiles) for c in filters} == {
        ("full", 1, (1, 1)),
        ("full", 2, (1, 1)),
        ("lite", 1, (1, 1)),
        ("lite", 2, (1, 1)),
        ("lite", 1, (2, 2)),
    }
    assert all(c.precision == "fp16" and c.replace(repeats=5, preset="full") in gpu for c in filters)


def test_cpu_peak_memory_sees_an_allocation():
    with PeakTracker(torch.device("cpu")) as t:
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MiB, touched
    del block
    assert t.result.delta_mib > 50 and t.result.peak_mib >= t.result.delta_mib


def test_cache_payoff(rt):
    r = cache_payoff(rt)
    assert r.encode_ms > 0 and r.synthesize_ms > 0 and r.warp_ms > 0
    assert r.cached_ms_per_frame > 0 and r.uncached_ms_per_frame > 0
    # Two warps cost less than a decoder pass, so the warp path is the cheaper one per frame.
    assert r.warp_ms < r.synthesize_ms and r.warp_ms_per_frame < r.cached_ms_per_frame
    assert r.speedup == pytest.approx(r.uncached_ms_per_frame / r.cached_ms_per_frame)
    assert r.peak_memory.peak_mib > 0
    assert [m for m, _ in r.rows()][-2] == "cache speed-up"
    assert r.fuse_ms is None and r.fuse_ms_per_frame is None and r.pair_ms is None  # lite has no fusion head
    assert not any("fuse" in m for m, _ in r.rows())


def test_cache_payoff_times_the_fused_mode_of_weights_with_a_head(tmp_path, monkeypatch):
    """``temporal="fuse"`` costs a decoder pass and more per in-between frame: its rows appear
    for weights with a fusion head only. DIS runs once per window pair, in the timed
    ``pair_flows``, never again inside ``fuse_between``."""
    import vsstvun.model.stvun

    calls = []
    real = vsstvun.model.stvun.dis_flows
    monkeypatch.setattr(vsstvun.model.stvun, "dis_flows", lambda *a: calls.append(1) or real(*a))
    path = save_checkpoint(build_model("lite", 4, fusion_ch=8, fusion_dis=True), tmp_path / "fused.safetensors")
    with open_runtime(TINY.replace(model_path=str(path))) as runtime:
        r = cache_payoff(runtime)
        windows = TINY.warmup + TINY.repeats * TINY.frames  # cached_window calls
    assert r.fuse_ms > 0 and r.fuse_ms_per_frame > r.warp_ms_per_frame
    assert r.pair_ms > 0 and len(calls) == windows
    assert sum("temporal='fuse'" in m for m, _ in r.rows()) == 3


def test_cached_path_counts_each_pair_flows_once():
    """Per output frame: the window's encode, each time's own call, and for ``fuse`` the pair's
    DIS flows once, shared by that pair's frames (as the filter keeps them)."""
    window = (1.0, [0.0, 0.5, 0.5, 0.5], [0.0, 0.1, 0.1, 0.1], [0.0, 0.2, 0.2, 0.2], 0.4)
    assert cached_ms_per_frame([[window]]) == pytest.approx([1000 * 2.5 / 4])
    assert cached_ms_per_frame([[window]], "warp") == pytest.approx([1000 * 1.3 / 4])
    assert cached_ms_per_frame([[window]], "fuse") == pytest.approx([1000 * 2.0 / 4])


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
    r = profile(rt)
    assert set(r.stages) == {*MODULE_STAGES, WARP_STAGE, "other"}
    assert sum(s.percent for s in r.stages.values()) == pytest.approx(100)
    assert all(s.total_ms > 0 for name, s in r.stages.items() if name != "other")
    assert r.stages["decoder"].calls == 2  # centre decode + the t = 1/2 frame
    assert r.stages["EFST"].calls == 4  # once per feature level
    assert r.decoder_pass_ms > 0
    # Hooks and the warp wrapper are gone afterwards.
    assert "_warp_to_time" not in vars(model) and not model.decoder._forward_hooks


def test_flops_are_counted_per_output_frame():
    """One window + k frames: more frames add decoder passes but share the window's cost."""
    torch.manual_seed(0)
    model = build_model("lite").eval()
    window = torch.rand(1, 7, 3, 32, 32)
    k1, k2, k4 = (count_gflop_per_frame(model, window, k) for k in (1, 2, 4))
    assert k1 > k2 > k4 > 0
    # k frames cost the window (with the centre decode) + (k - 1) decoder passes (t = 0 is a crop).
    window_total, two, four = k1, 2 * k2, 4 * k4
    assert four - two == pytest.approx(2 * (two - window_total))
    # temporal="warp": the in-between frames add no counted FLOPs, only the window is shared out.
    w1, w2, w4 = (count_gflop_per_frame(model, window, k, "warp") for k in (1, 2, 4))
    assert w1 == pytest.approx(k1) and w2 == pytest.approx(k1 / 2) and w4 == pytest.approx(k1 / 4)


def test_limit_relates_counted_flops_to_time_and_peak(rt, monkeypatch):
    monkeypatch.setenv(PEAK_ENV, "100")
    r = limit(rt, ms_per_frame=500.0)
    assert r.achieved_gflops == pytest.approx(r.gflop_per_frame / 0.5)
    assert r.peak_gflops == 100 and r.fraction == pytest.approx(r.achieved_gflops / 100)
    assert rt.config.replace(peak_gflops=50).peak_gflops == 50


def test_peak_formula_per_isa():
    avx512, avx2 = {"avx512f", "avx2", "fma"}, {"avx2", "fma"}
    assert cpu_flop_per_cycle(avx512, torch.float32) == 64  # 2 FMA pipes x 16 lanes x 2
    assert cpu_flop_per_cycle(avx2, torch.float32) == 32
    assert cpu_flop_per_cycle(avx512 | {"avx512_bf16"}, torch.bfloat16) == 128  # vdpbf16ps doubles it
    assert cpu_flop_per_cycle(avx2, torch.bfloat16) == 32  # emulated: no faster than fp32
    assert peak_gflops(torch.device("cpu"), torch.float32, 2, override=7.0) == 7.0


def test_linux_sources_degrade_elsewhere(monkeypatch, tmp_path):
    """Without /proc and os.getloadavg (macOS, Windows) the run reports "unknown", not a crash."""
    monkeypatch.setattr(report_module, "_PROC", tmp_path / "no-proc")
    monkeypatch.delattr(report_module.os, "getloadavg")
    monkeypatch.delenv(PEAK_ENV, raising=False)
    with PeakTracker(torch.device("cpu")) as t:
        pass
    assert t.result.source == "unavailable" and "unavailable" in report_module.memory(t.result)
    name, ghz, flags = report_module.cpu_info()
    assert name and ghz is None and flags == set()
    assert report_module.load_average() is None
    assert "--peak-gflops" in peak_gflops(torch.device("cpu"), torch.float32, 2)


def test_backends_skip_on_the_cpu(rt):
    assert isinstance(backends(rt), Skipped)


def test_backend_is_restored():
    before = get_backend()
    with open_runtime(TINY.replace(backend="torch")):
        assert get_backend() == "torch"
    assert get_backend() == before


def test_cli_reports_runtime_errors_in_one_line(tmp_path, capsys, lite_weights):
    """Weights of the wrong scale, or a missing file: one line and status 2, not a traceback."""
    base = ["--size", "32x32", "--repeats", "1", "--frames", "2", "--no-progress"]
    assert main([*base, "--model-path", str(lite_weights(2))]) == 2
    assert "x2 model but scale=4" in capsys.readouterr().err
    assert main([*base, "--model-path", str(tmp_path / "none.safetensors")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(SystemExit):
        main([*base, "--json", str(tmp_path)])
    assert "is a folder" in capsys.readouterr().err


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
    assert set(run["sections"]) == {"cache_payoff", "limit", "filter_glue", "backends", "profile"}
    assert run["env"]["precision"] == "fp32" and run["env"]["load_average_1min"] is not None
    payoff = run["sections"]["cache_payoff"]
    assert payoff["speedup"] == pytest.approx(payoff["uncached_ms_per_frame"] / payoff["cached_ms_per_frame"])
    assert run["sections"]["backends"]["skipped"] is (not torch.cuda.is_available())
    for row in (
        "| (a) cache payoff | cache speed-up |",
        "| (b) filter vs direct |",
        "| (c) torch vs CuPy |",
        "| (d) profile | decoder |",
        "| (e) limit | FLOPs per output frame",
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
