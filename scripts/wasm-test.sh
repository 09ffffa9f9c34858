#!/usr/bin/env bash
# Runs the WebAssembly crate's wasm-bindgen tests (crates/wasm/tests) in
# Node.js and in headless Chromium. Run scripts/setup-wasm.sh first.
#
# Usage: scripts/wasm-test.sh [node|chromium ...]   (default: both)
# Chromium needs /usr/bin/chromium and chromedriver (CHROMEDRIVER, default
# /usr/bin/chromedriver); its flags are in crates/wasm/webdriver.json.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

runs=("$@")
[ "${#runs[@]}" -eq 0 ] && runs=(node chromium)

status=0
for run in "${runs[@]}"; do
  echo "--- wasm-bindgen tests in $run"
  case "$run" in
    node)
      scripts/cargo-wasm test -p cloudmqtt-api-wasm || status=1
      # plan, apply and exportAccess live behind the `access` feature.
      scripts/cargo-wasm test -p cloudmqtt-api-wasm --features access --test access || status=1
      ;;
    chromium) WASM_BINDGEN_USE_BROWSER=1 scripts/cargo-wasm test -p cloudmqtt-api-wasm || status=1 ;;
    *) echo "unknown run '$run' (node or chromium)" >&2; status=2 ;;
  esac
done
exit "$status"
