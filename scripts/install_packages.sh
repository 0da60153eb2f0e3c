#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet (apt-get,
# through sudo when not root). Shared by setup.sh (build and run) and test.sh (tests).
set -euo pipefail
missing=""
for package in "$@"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing
