#!/usr/bin/env bash
# Installs the system packages Libra builds against, where missing (Debian/Ubuntu, as root or
# with sudo). Safe to run repeatedly.
set -euo pipefail

packages=()
# io_uring for the write-ahead log.
[ -f /usr/include/liburing.h ] || packages+=(liburing-dev)
# libsodium for Argon2id password hashes and token MACs.
[ -f /usr/include/sodium.h ] || packages+=(libsodium-dev)
# pkg-config, which SwiftPM uses to find libsodium.
command -v pkg-config >/dev/null || packages+=(pkg-config)

if [ ${#packages[@]} -eq 0 ]; then
    echo "install-deps: nothing to install"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
