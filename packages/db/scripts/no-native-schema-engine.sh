#!/bin/sh
# Stand-in for Prisma's native schema engine, which the Prisma CLI would download from
# binaries.prisma.sh (unreachable offline). `prisma generate` only checks that the file
# exists; migrations run through the WebAssembly schema engine instead (see docs/database.md).
echo "skiff: the native Prisma schema engine is not used; migrations run through @prisma/schema-engine-wasm (packages/db/src/migrate.ts)" >&2
exit 1
