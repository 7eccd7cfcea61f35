#!/usr/bin/env bash
# Debian packages the test suite drives as real components: named-checkzone (zone files),
# dnsmasq (a real resolver on loopback), dig, docker-compose (compose files), shellcheck
# (generated shell), chromium (renders the html matrix), nft and systemd-analyze (launch files). Installs only what is missing;
# needs root (CI and these machines run as root).
set -euo pipefail

declare -A want=(
  [named-checkzone]=bind9-utils
  [dig]=bind9-dnsutils
  [dnsmasq]=dnsmasq-base
  [docker-compose]=docker-compose
  [shellcheck]=shellcheck
  [chromium]=chromium
  [ip]=iproute2
  [unshare]=util-linux
  [nft]=nftables
  [systemd-analyze]=systemd
)
missing=()
for bin in "${!want[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${want[$bin]}")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-system-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-system-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
