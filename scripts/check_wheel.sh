#!/usr/bin/env bash
# Done-when check of the packaging: build the wheel, install it with the `source` extra into a fresh
# Python 3.12 venv, then, from outside the source tree: `python -m vsstvun info`, `verify` of a
# packaged weights file, `python -m vapoursynth config` and a three-frame filter run through vspipe.
# Only the base dependencies + bestsource are installed, so this also shows that the filter needs
# none of the train extra.
#
#   bash scripts/check_wheel.sh                       # everything from the package index (torch: ~3 GB)
#   bash scripts/check_wheel.sh --reuse-torch PYTHON  # link torch and its dependencies from PYTHON's
#                                                     # environment instead of downloading them
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/find_python.sh"
DONOR=
if [ "${1:-}" = --reuse-torch ]; then DONOR=${2:?--reuse-torch needs a Python}; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"  # nothing below may import the source tree
unset PYTHONPATH

"$PY" -m pip wheel -q --no-deps -w dist "$ROOT"
WHEEL=$(ls dist/vsstvun-*.whl)
"$PY" - "$WHEEL" <<'PYEOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for need in ("vsstvun/py.typed", "vsstvun/__main__.py", "vsstvun/weights/stvun_lite_x4.safetensors",
             "vsstvun/weights/stvun_flow_lite_x4.safetensors"):
    assert need in names, f"{need} missing from the wheel"
assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "LICENSE missing from the wheel"
print(f"wheel {sys.argv[1]}: {len(names)} files, py.typed, weights and LICENSE included")
PYEOF

"$PY" -m venv venv
V=$WORK/venv/bin/python
if [ -n "$DONOR" ]; then
    # Symlink torch and everything it requires (recursively) into the venv, dist-info included,
    # so that pip sees them installed and resolves only the rest from the index.
    SITE=$("$V" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    "$DONOR" - "$SITE" <<'PYEOF'
import sys
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

site, todo, seen = Path(sys.argv[1]), ["torch"], set()
while todo:
    name = canonicalize_name(todo.pop())
    if name in seen:
        continue
    seen.add(name)
    dist = distribution(name)
    for req in map(Requirement, dist.requires or []):
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            todo.append(req.name)
    for top in {Path(f).parts[0] for f in dist.files or [] if not Path(f).parts[0].startswith("..")}:
        src, dst = Path(dist.locate_file(top)), site / top
        if src.exists() and not dst.exists():
            dst.symlink_to(src)
print(f"linked from {sys.executable}: {', '.join(sorted(seen))}")
PYEOF
fi
"$V" -m pip install -q "$WHEEL[source]"

export XDG_CONFIG_HOME=$WORK/config  # vspipe's config for this venv only
"$V" -m vapoursynth config
"$V" -c 'import vsstvun, sys; assert "site-packages" in vsstvun.__file__, vsstvun.__file__'
for module in cv2 matplotlib tqdm; do
    if "$V" -c "import $module" 2>/dev/null; then echo "$module is installed: the base install pulls in a train dependency" >&2; exit 1; fi
done
"$V" -m vsstvun info
"$V" -m vsstvun verify "$("$V" -c 'from vsstvun.weights import default_weights_path as p; print(p("lite", 2))')"

cat > three.vpy <<'PYEOF'
import vapoursynth as vs

import vsstvun

clip = vs.core.std.BlankClip(format=vs.YUV420P8, width=64, height=48, length=3, color=[100, 90, 160])
rgb = vs.core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="170m")
out = vsstvun.stvun(rgb, scale=2, device_index=None)  # logs the no-CUDA warning on a CPU machine
vs.core.resize.Bicubic(out, format=vs.YUV420P8, matrix_s="170m").set_output()
PYEOF
OMP_NUM_THREADS=1 "$WORK/venv/bin/vspipe" -c y4m three.vpy out.y4m
FRAMES=$(grep -c FRAME out.y4m)
[ "$FRAMES" = 6 ] || { echo "expected 6 output frames (3 in, factor 2), got $FRAMES" >&2; exit 1; }
echo "check_wheel: OK ($WHEEL installed in a fresh venv; info, verify and a 3-frame vspipe run work)"
