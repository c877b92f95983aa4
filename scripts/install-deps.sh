#!/usr/bin/env bash
# Installs the system packages Libra builds against, where missing (Debian/Ubuntu, as root or
# with sudo). Safe to run repeatedly.
set -euo pipefail

packages=()
# Nothing beyond the Swift toolchain is needed yet; system libraries are added here as modules
# come to need them.

if [ ${#packages[@]} -eq 0 ]; then
    echo "install-deps: nothing to install"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
