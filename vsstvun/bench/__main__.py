"""``python -m vsstvun.bench``: command line over :func:`run_bench` and the named suites.

Every option defaults to "not given", so it overrides the same field of each config of a
suite (or of the default config) only when passed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.bench")

from ..model import PRESETS
from ..model.ops.warp import BACKENDS
from ..model.precision import PRECISIONS
from .config import DEVICES, SUITES, BenchConfig, parse_size
from .measure import run_bench
from .report import PEAK_ENV, write_json


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vsstvun.bench",
        description="Speed and peak memory of STVUN: cache payoff, distance to the machine's peak "
        "FLOP/s, VapourSynth glue, torch vs CuPy kernels and a per-stage profile.",
        epilog="Without --suite one run of the defaults: " + BenchConfig().title(),
    )
    p.add_argument("--suite", choices=sorted(SUITES), help="named set of runs (cpu: README numbers; gpu: needs CUDA)")
    p.add_argument("--size", type=_size, help="input size WxH, e.g. 480x270")
    p.add_argument("--scale", type=int, choices=(2, 4))
    p.add_argument("--factor", type=int, help="time factor k: output frames per input frame")
    p.add_argument("--preset", choices=sorted(PRESETS))
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--precision", choices=PRECISIONS)
    p.add_argument("--backend", choices=BACKENDS, help="warp/correlation backend")
    p.add_argument("--warmup", type=int, help="untimed windows before each timed path")
    p.add_argument("--repeats", type=int, help="timed repeats (median reported)")
    p.add_argument("--frames", type=int, help="input frames per repeat (>= 2)")
    p.add_argument("--model-path", help="checkpoint; default: random init of the preset")
    p.add_argument("--channels-last", action="store_true", default=None)
    p.add_argument(
        "--compile",
        action="store_true",
        default=None,
        help="torch.compile the sub-modules (compiles during warm-up: use --warmup 2 or more)",
    )
    p.add_argument("--num-streams", type=int, help="the filter's num_streams in section (b)")
    p.add_argument("--tiles", type=_size, help="the filter's tiles COLSxROWS in section (b), e.g. 2x2")
    p.add_argument(
        "--peak-gflops",
        type=float,
        help=f"the machine's peak for the run's precision (else ${PEAK_ENV}, else computed)",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    return p


def configs_from_args(args: argparse.Namespace) -> list[BenchConfig]:
    fields = {f.name for f in dataclasses.fields(BenchConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    base = SUITES[args.suite] if args.suite else [BenchConfig()]
    return [c.replace(**overrides) for c in base]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        configs = configs_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if args.json and args.json.is_dir():
        parser.error(f"--json {args.json} is a folder; give a file path")  # known now, not after the suite
    results = []
    try:
        for config in configs:
            results.append(run_bench(config, progress=not args.no_progress))
            print(results[-1].markdown(), flush=True)  # a suite takes long: show each run when done
    except (OSError, ValueError) as exc:  # no CUDA, weights missing or of another scale
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        write_json(results, args.json)
        print(f"JSON written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
