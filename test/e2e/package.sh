#!/usr/bin/env bash
# Packages the extension as a platform-specific VSIX: package.sh TARGET OUT.vsix (TARGET e.g. linux-x64).
# Delegates to scripts/package.mjs (what `npm run package` runs), so the e2e test installs exactly the VSIX users get:
# the root .vscodeignore plus the per-target pruning of other platforms' onnxruntime binaries. dist/ must be built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET="${1:-linux-x64}"
OUT="${2:-$ROOT/out/plausibility-$TARGET.vsix}"
cd "$ROOT"
node scripts/package.mjs --no-build --target "$TARGET" --out "$OUT" >&2
ls -l "$OUT" >&2
