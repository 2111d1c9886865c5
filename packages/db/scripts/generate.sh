#!/usr/bin/env bash
# Generates both Prisma clients offline. `prisma generate` never runs the native schema
# engine, but the CLI insists on finding (or downloading) it first; pointing it at a stub
# skips the download. Migrations use the WebAssembly schema engine (src/schema-engine.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="$PWD/scripts/no-native-schema-engine.sh"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
node --import tsx scripts/schemas.ts
for provider in sqlite postgresql; do
  npx --no-install prisma generate --schema "../../prisma/$provider/schema.prisma" >/dev/null
done
