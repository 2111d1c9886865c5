#!/usr/bin/env bash
# Installs everything Skiff needs on a fresh Debian machine: system packages, npm
# dependencies (native parts are compiled from source by node-gyp), generated code.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential python3 pkg-config libseccomp-dev libmnl-dev libzstd-dev  # native addon + shim
  iproute2 nftables util-linux procps                  # networking, nsenter/script, ps
  busybox-static docker-registry zstd skopeo openssl   # test images and the local registry
  postgresql                                           # the PostgreSQL back end is tested for real
  chromium                                             # the dashboard e2e tests (playwright-core drives it)
  clang-format                                         # the C format check (test/lint.test.ts, npm run format)
  pebble                                               # ACME test CA for packages/certs (pebble, pebble-challtestsrv)
  git openssh-server                                   # @skiff/git runs git; its tests serve repos over sshd
)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "skiff: installing system packages: ${missing[*]}"
  apt-get update -qq
  # packages with a service (openssh-server) must not start it: the tests run their own sshd
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$policy" ]; then rm -f "$policy"; trap - EXIT; fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "skiff: installing npm dependencies"
  npm ci --no-audit --no-fund
fi
npm run build --silent
