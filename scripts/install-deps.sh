#!/usr/bin/env bash
# Installs every Debian 12 package the build, the demo and the tests need.
# Idempotent: packages already present are skipped by apt. Runs as root or via sudo.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config
  libjansson-dev libuv1-dev libwebsockets-dev libsqlite3-dev libcmocka-dev
  libs3-dev libmongoc-dev libbson-dev freetds-dev freetds-bin sqlite3
  libcurl4-openssl-dev libxml2-dev librdkafka-dev)
test_pkgs=(python3 python3-mockupdb python3-mongomock stunnel4 openssl
  swift-proxy swift-account swift-container swift-object memcached curl
  docker-compose python3-yaml shellcheck procps clang prometheus
  chromium chromium-driver python3-selenium python3-jsonschema
  dpkg-dev man-db bsdextrautils systemd kcat lintian)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--with-tests" ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
