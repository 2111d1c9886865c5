export DATABASE_URL="$SKIFF_PG_URL"
npx --no-install prisma migrate deploy 2>&1 | grep -v nodedir | tail -1
npx --no-install prisma migrate diff --from-migrations ../../prisma/postgresql/migrations --to-schema ../../prisma/postgresql/schema.prisma --script 2>&1 | grep -v nodedir | head -12
npx --no-install prisma migrate dev --create-only --name noop 2>&1 | grep -v nodedir | head -12
npx --no-install prisma db push --force-reset 2>&1 | grep -v nodedir | head -12
