#!/usr/bin/env bash
# Packages the extension as a platform-specific VSIX: package.sh TARGET OUT.vsix (TARGET e.g. linux-x64).
# The root .vscodeignore is extended with the onnxruntime binaries of every other platform.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET="${1:-linux-x64}"
OUT="${2:-$ROOT/out/plausibility-$TARGET.vsix}"
cd "$ROOT"
os="${TARGET%-*}"
arch="${TARGET#*-}"
ignore="$(mktemp)"
trap 'rm -f "$ignore"' EXIT
cat .vscodeignore > "$ignore"
for dir in node_modules/onnxruntime-node/bin/napi-v*/*/*; do
  [ -d "$dir" ] || continue
  plat="$(basename "$(dirname "$dir")")"
  a="$(basename "$dir")"
  if [ "$plat" != "$os" ] || [ "$a" != "$arch" ]; then echo "$dir/**" >> "$ignore"; fi
done
mkdir -p "$(dirname "$OUT")"
npx --no-install vsce package --target "$TARGET" --ignoreFile "$ignore" \
  --allow-missing-repository --skip-license --allow-star-activation --no-rewrite-relative-links -o "$OUT" >&2
ls -l "$OUT" >&2
