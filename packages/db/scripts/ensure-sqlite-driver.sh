#!/usr/bin/env bash
# better-sqlite3 compiles its native binding in an install script. npm 11 skips
# dependency install scripts unless the root package.json's "allowScripts" approves them
# (and its first step, prebuild-install, would download a prebuilt binary: offline it
# fails and falls back to compiling). So: if the binding does not load, compile it from
# source here, with node-gyp, as its install script would.
set -euo pipefail
cd "$(dirname "$0")/.."
if node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then exit 0; fi
dir=$(node -p "require('node:path').dirname(require.resolve('better-sqlite3/package.json'))")
echo "@skiff/db: compiling better-sqlite3's native binding from source in $dir" >&2
(cd "$dir" && npx --no-install node-gyp rebuild --release >/dev/null)
node -e "new (require('better-sqlite3'))(':memory:').close()"
