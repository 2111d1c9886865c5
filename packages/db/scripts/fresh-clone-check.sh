#!/usr/bin/env bash
# Proves that @skiff/db builds and passes its tests from a fresh clone with nothing but the
# npm registry: HEAD plus the working tree's packages/db, prisma/ and package-lock.json are
# copied to a temp dir, `npm ci`'d (serialized on /tmp/npm.lock), generated and tested, with
# PRISMA_ENGINES_MIRROR pointing nowhere so that any engine download would fail.
#   bash packages/db/scripts/fresh-clone-check.sh        (from the repo root; ~3 min)
set -euo pipefail
cd "$(dirname "$0")/../../.."
T=$(mktemp -d /tmp/skiff-db-fresh-XXXXXX)
trap 'rm -rf "$T"' EXIT
git archive HEAD | tar -x -C "$T"
rm -rf "$T/packages/db" "$T/prisma"
tar -c --exclude=generated --exclude=.turbo --exclude=node_modules packages/db prisma package-lock.json | tar -x -C "$T"
cd "$T"
export PRISMA_ENGINES_MIRROR=http://127.0.0.1:9
flock /tmp/npm.lock npm ci --no-audit --no-fund
npx turbo run build --filter=@skiff/db
npx vitest run packages/db
echo "fresh clone: OK"
