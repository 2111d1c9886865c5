#!/usr/bin/env bash
# The agent as a systemd service (used by start.sh; docs/operations.md, "Install as a service").
#   service.sh has-systemd   exit 0 when systemd is PID 1 (then start.sh installs the unit)
#   service.sh unit          print the unit for this checkout (packaging/systemd/skiff.service filled in)
#   service.sh install       write the unit, daemon-reload, enable it
#   service.sh start         start it and wait until the agent answers (SKIFF_ADMIN_PASSWORD
#                            reaches this first start through a 0600 file removed after)
# Overridable for tests, where systemd is not PID 1: SKIFF_SYSTEMD_RUN_DIR (default
# /run/systemd/system), SKIFF_UNIT_DIR (/etc/systemd/system), SKIFF_SYSTEMCTL (systemctl),
# SKIFF_START_ENV (/run/skiff/start.env: the first start's admin password, root's alone).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
run_dir="${SKIFF_SYSTEMD_RUN_DIR:-/run/systemd/system}"
unit_dir="${SKIFF_UNIT_DIR:-/etc/systemd/system}"
systemctl="${SKIFF_SYSTEMCTL:-systemctl}"
start_env="${SKIFF_START_ENV:-/run/skiff/start.env}"
unit=skiff.service

# a unit file value: % starts a specifier, so it is doubled; quotes and newlines are refused
unit_value() {
  case "$1" in *[\"\\$'\n']*) echo "skiff: cannot put \"$1\" in a unit file (quote, backslash or newline)" >&2; exit 1 ;; esac
  printf '%s' "${1//%/%%}"
}

render_unit() {
  local exec docs env
  exec="$(unit_value "$repo/skiff")"
  env="$(unit_value "$start_env")"
  docs="file://$(unit_value "$repo/docs/operations.md")"
  docs="${docs// /%%20}"
  # ExecStart's path quoted: a checkout path may hold spaces
  sed -e "s|@SKIFF_EXEC@|\"${exec//|/\\|}\"|" -e "s|@SKIFF_START_ENV@|${env//|/\\|}|" -e "s|@SKIFF_DOCS@|${docs//|/\\|}|" "$repo/packaging/systemd/skiff.service"
}

# the first start's SKIFF_ADMIN_PASSWORD, for the unit's EnvironmentFile (double-quoted, escaped)
write_start_env() {
  [ -n "${SKIFF_ADMIN_PASSWORD:-}" ] || return 0
  case "$SKIFF_ADMIN_PASSWORD" in *$'\n'*) echo "skiff: SKIFF_ADMIN_PASSWORD must be one line" >&2; exit 1 ;; esac
  local v="$SKIFF_ADMIN_PASSWORD"
  v="${v//\\/\\\\}"; v="${v//\"/\\\"}"; v="${v//\$/\\\$}"; v="${v//\`/\\\`}"
  mkdir -p "$(dirname "$start_env")"
  (umask 077 && printf 'SKIFF_ADMIN_PASSWORD="%s"\n' "$v" >"$start_env")
}

case "${1:-}" in
  has-systemd) [ -d "$run_dir" ] ;;
  unit) render_unit ;;
  install)
    mkdir -p "$unit_dir"
    render_unit >"$unit_dir/$unit.tmp"
    chmod 644 "$unit_dir/$unit.tmp"
    mv "$unit_dir/$unit.tmp" "$unit_dir/$unit"
    "$systemctl" daemon-reload
    "$systemctl" enable "$unit" >/dev/null
    ;;
  start)
    trap 'rm -f "$start_env"' EXIT
    write_start_env
    "$systemctl" start "$unit"
    for _ in $(seq 1 300); do "$repo/skiff" version >/dev/null 2>&1 && exit 0; sleep 0.1; done
    "$repo/skiff" version >/dev/null
    ;;
  *) echo "usage: service.sh has-systemd | unit | install | start" >&2; exit 2 ;;
esac
