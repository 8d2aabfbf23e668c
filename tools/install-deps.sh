#!/usr/bin/env bash
# Installs the Debian 12 packages pipesim needs, only those that are missing.
# Idempotent: a no-op (no apt-get call at all) when everything is present.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libsimgrid-dev libboost-graph-dev nlohmann-json3-dev libfmt-dev libeigen3-dev
  doctest-dev libcrypto++-dev libcli11-dev python3 python3-matplotlib zlib1g-dev clang-format
  clang-14 libclang-rt-14-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js + npm for tools/evm-trace (the EVM re-execution behind data/eth-traces and its
# regeneration test): Debian's packages, only where no node/npm is on PATH already (a Node.js
# installed otherwise bundles its own npm, which Debian's npm package would conflict with).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
