# Sourced by the setup scripts: sets PY to a Python >= 3.12 ($PYTHON if given), or exits.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for cand in python3.12 python3.13 /root/.pyenv/versions/3.12.*/bin/python3.12 python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            PY=$cand
            break
        fi
    done
fi
[ -n "$PY" ] || { echo "Python >= 3.12 is required (VapourSynth wheels need it)" >&2; exit 1; }
