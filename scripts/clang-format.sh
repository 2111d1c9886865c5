#!/usr/bin/env bash
# clang-format over the project's C and C++ (the shim, the addon, the native client, test
# programs): --check lists what differs from .clang-format and fails; --write fixes it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
[[ "$mode" == --check || "$mode" == --write ]] || { echo "usage: $0 --check|--write" >&2; exit 2; }
command -v clang-format >/dev/null || { echo "skiff: clang-format is missing: apt-get install clang-format (scripts/install.sh does)" >&2; exit 2; }
# tracked and new files alike, never what .gitignore lists (node-gyp's build output)
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' '*.cc')
[ "${#files[@]}" -gt 0 ] || { echo "skiff: no C sources found" >&2; exit 2; }
if [ "$mode" == --write ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
