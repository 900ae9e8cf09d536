#!/usr/bin/env bash
# npm run test:nvim: Neovim's built-in LSP client against `plausibility lsp --stdio` (see lsp.lua).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nvim >/dev/null 2>&1; then
  echo "test:nvim needs Neovim 0.7 or later: sudo apt-get install -y neovim" >&2
  exit 1
fi
[ -f dist/cli.js ] || node scripts/build.mjs
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
export PLAUSIBILITY_ROOT="$PWD" PLAUSIBILITY_NVIM_DIR="$dir"
# -u NONE: no user config or plugins; the editor's own LSP client only. The timeout only stops a hung editor.
timeout 900 nvim --headless -u NONE -i NONE -n -c 'luafile test/nvim/lsp.lua'
echo "test:nvim: passed" >&2
