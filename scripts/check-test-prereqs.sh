#!/usr/bin/env bash
# `npm test` runs this first. The tests need a few Debian packages that npm cannot install (they need root):
# PyTorch and ONNX for Debian's Python (the training pipeline's tests), Chromium and libkrb5-dev (the code-server
# end-to-end test) and Neovim (the language server's second editor). Nothing is installed here: when something is
# missing, this says exactly which command installs it and fails.
set -uo pipefail
missing=()
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import torch, onnx, numpy, regex' >/dev/null 2>&1; then
  missing+=(python3 python3-torch python3-onnx python3-numpy python3-regex libopenblas0-pthread)
fi
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo "
  {
    echo "npm test needs Debian packages that are not installed: ${missing[*]}"
    echo "Install them (apt needs root), then run npm test again:"
    echo ""
    echo "  ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${missing[*]}"
    echo ""
    echo "(.ci/run installs the same packages on CI.)"
  } >&2
  exit 1
fi
