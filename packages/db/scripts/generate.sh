#!/usr/bin/env bash
# Generates both Prisma clients (generated/sqlite, generated/postgresql), offline, their
# query compiler read from a file (scripts/wasm-from-file.ts).
# `prisma generate` itself never runs the schema engine, but the CLI looks for it (and
# would download it) first: PRISMA_SCHEMA_ENGINE_BINARY points it at bin/schema-engine,
# the WebAssembly engine from npm (also set by prisma.config.ts; see docs/database.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="$PWD/bin/schema-engine"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
bash scripts/ensure-sqlite-driver.sh
node --import tsx scripts/schemas.ts
for provider in sqlite postgresql; do
  npx --no-install prisma generate --schema "../../prisma/$provider/schema.prisma" >/dev/null
done
node --import tsx scripts/wasm-from-file.ts
