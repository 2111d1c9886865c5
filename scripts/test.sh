#!/usr/bin/env bash
# Runs every test (unit, runtime with real containers, agent + CLI, db, e2e) and ends
# with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || { echo "0 passed, 1 failed"; exit 1; }
# the Docker API tests drive the real docker CLI (test-only peer; most machines here have one)
command -v docker >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; } || echo "skiff: could not install the docker CLI"
command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; } || echo "skiff: could not install docker-compose"
report=$(mktemp /tmp/skiff-vitest-XXXXXX.json)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
code=$?
node scripts/summarize-tests.mjs "$report" || code=1
rm -f "$report"
exit $code
