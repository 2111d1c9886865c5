#!/usr/bin/env bash
# Installs what is missing, then starts the agent and its dashboard on the embedded
# defaults: runtime root /var/lib/skiff, SQLite inside it, socket /run/skiff/skiff.sock,
# HTTP on 127.0.0.1:7777. Where systemd is PID 1 the agent runs as skiff.service (restarted
# after a crash and at boot; its log is the journal: journalctl -u skiff); elsewhere in the
# background, logging to /var/log/skiff-agent.log, which the agent rotates (10 MiB x 5).
# SKIFF_START_NO_INSTALL=1 skips the install step (tests; a checkout already built).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIFF_START_NO_INSTALL:-}" ] || bash scripts/install.sh
log="${SKIFF_AGENT_LOG:-/var/log/skiff-agent.log}"
# a fresh install without SKIFF_ADMIN_PASSWORD: the one-time setup link this start logged
setup_link() { grep -o "http://[^ ]*/setup?token=[^ ]*" | tail -n 1 | sed "s/^/skiff: first start — create the admin at /" || true; }

if bash scripts/service.sh has-systemd; then
  bash scripts/service.sh install
  if ./skiff version >/dev/null 2>&1; then
    "${SKIFF_SYSTEMCTL:-systemctl}" is-active --quiet skiff.service && echo "skiff: agent already running (skiff.service)" ||
      echo "skiff: agent already running outside systemd; skiff.service is enabled and takes over at the next boot (or stop this agent and run this again)"
  else
    since=$(date +%s)
    bash scripts/service.sh start || { echo "skiff: agent failed to start, see: journalctl -u skiff" >&2; exit 1; }
    journalctl -u skiff.service --since "@$since" -o cat 2>/dev/null | setup_link || true
  fi
elif ./skiff version >/dev/null 2>&1; then
  echo "skiff: agent already running"
else
  mkdir -p "$(dirname "${SKIFF_SOCKET:-/run/skiff/skiff.sock}")" "$(dirname "$log")"
  # root's alone: the log gets the one-time setup link (an existing 0644 log is tightened too)
  (umask 077 && touch "$log")
  chmod 600 "$log"
  before=$(stat -c %s "$log")
  inode=$(stat -c %i "$log")
  # the agent writes and rotates the log itself; the redirection only catches what bypasses
  # it (a V8 fatal error)
  nohup ./skiff daemon --log-file "$log" </dev/null >>"$log" 2>&1 &
  for _ in $(seq 1 300); do ./skiff version >/dev/null 2>&1 && break; sleep 0.1; done
  ./skiff version >/dev/null || { echo "skiff: agent failed to start, see $log" >&2; exit 1; }
  # what this start wrote (from the rotated file too, had the log just reached its size)
  { if [ "$(stat -c %i "$log")" != "$inode" ]; then tail -c +"$((before + 1))" "$log.1"; cat "$log"; else tail -c +"$((before + 1))" "$log"; fi; } | setup_link || true
fi
echo "skiff: agent running — dashboard and API on http://127.0.0.1:7777/ (CLI: ./skiff info)"
