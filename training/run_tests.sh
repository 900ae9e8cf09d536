#!/usr/bin/env bash
# Runs the training pipeline's tests with Debian's Python, which has torch and onnx
# (the python3 first on PATH may be another interpreter without them).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" -m unittest discover -s tests -t . -v
