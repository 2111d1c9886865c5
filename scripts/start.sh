#!/usr/bin/env bash
# Installs what is missing, then starts the agent and its dashboard on the embedded
# defaults: runtime root /var/lib/skiff, SQLite inside it, socket /run/skiff/skiff.sock,
# HTTP on 127.0.0.1:7777. Logs go to /var/log/skiff-agent.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if ./skiff version >/dev/null 2>&1; then
  echo "skiff: agent already running"
else
  mkdir -p /run/skiff
  # root's alone: the log gets the one-time setup link (an existing 0644 log is tightened too)
  (umask 077 && touch /var/log/skiff-agent.log)
  chmod 600 /var/log/skiff-agent.log
  before=$(wc -l </var/log/skiff-agent.log)
  nohup ./skiff daemon >>/var/log/skiff-agent.log 2>&1 &
  for _ in $(seq 1 100); do ./skiff version >/dev/null 2>&1 && break; sleep 0.1; done
  ./skiff version >/dev/null || { echo "skiff: agent failed to start, see /var/log/skiff-agent.log" >&2; exit 1; }
  # a fresh install without SKIFF_ADMIN_PASSWORD: show the one-time setup link from this start
  tail -n +"$((before + 1))" /var/log/skiff-agent.log | grep -o "http://[^ ]*/setup?token=[^ ]*" | sed "s/^/skiff: first start — create the admin at /" || true
fi
echo "skiff: agent running — dashboard and API on http://127.0.0.1:7777/ (CLI: ./skiff info)"
