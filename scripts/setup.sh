#!/usr/bin/env bash
# Installs the system libraries RiskGate builds against, when missing (Debian/Ubuntu, as root or with sudo).
set -euo pipefail

need=()
# openssl and curl: the TLS tests make a certificate and fetch over HTTPS with them.
# postgresql: scripts/with-postgres.sh starts a throw-away cluster for the PostgreSQL store's tests.
for pkg in libyaml-dev libsqlite3-dev libssl-dev libargon2-dev libmaxminddb-dev pkg-config openssl curl postgresql; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}"
fi
