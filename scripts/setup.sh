#!/usr/bin/env bash
# Installs everything the test command needs, and nothing that is already
# there: Debian packages (Mosquitto; Chromium and its driver unless
# CHROMIUM_BIN names a browser; Node.js and npm when either is missing),
# the wasm32 toolchain and wasm-bindgen-cli (scripts/setup-wasm.sh), and
# the npm packages of npm/ and tests/. Needs a Rust toolchain (rustup) and
# apt. Safe to run again; fast when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages, installed only when missing.
apt_packages=(mosquitto mosquitto-clients)
if [ -z "${CHROMIUM_BIN:-}" ] && ! command -v chromium >/dev/null 2>&1; then
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

# The npm test tools need Node.js 20 or newer, which some releases' apt
# does not have (Debian 12 and Ubuntu 24.04 ship 18).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  log "warning: Node.js $(node --version 2>/dev/null || echo '(none)') is older than 20, which the npm tests need; install Node.js 20 or newer (nodejs.org, NodeSource)"
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
  [ -f "$dir/package.json" ] || return 0
  local stamp="$dir/node_modules/.installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package.json" ] \
    && { [ ! -f "$dir/package-lock.json" ] || [ "$stamp" -nt "$dir/package-lock.json" ]; }; then
    return 0
  fi
  log "installing npm packages in $dir"
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
  touch "$stamp"
}
npm_install npm
npm_install tests

log "ready"
