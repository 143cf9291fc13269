#!/usr/bin/env bash
# Installs every Debian 12 package tocsin needs to build, run and test. Idempotent: packages
# already present are left alone, so a second run costs one dpkg query.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config git python3 sqlite3
    libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
    libboost-url1.81-dev libboost-filesystem1.81-dev
    libyaml-cpp-dev liblua5.4-dev libcurl4-openssl-dev libsqlite3-dev
    catch2 libspdlog-dev libfmt-dev libhowardhinnant-date-dev tzdata libpq-dev
    libbenchmark-dev clang-format-16
    clang libclang-rt-14-dev
    postgresql prometheus
    python3-aiosmtpd openssl
    dpkg-dev file adduser systemd lintian
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
