#!/usr/bin/env bash
# The one command that runs every test, on a fresh machine or a warm one:
#   scripts/test.sh
# It installs what is missing (scripts/setup.sh), then runs each phase and
# prints a summary. It exits non-zero if any phase failed.
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

scripts/setup.sh || { echo "setup failed"; exit 1; }
# A Node.js that setup installed from the npm registry (the system's is older than 20).
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi

passed=()
failed=()
phase() {
  local name=$1
  shift
  printf '\n=== %s\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed+=("$name")
    printf '=== %s: ok (%ss)\n' "$name" $((SECONDS - start))
  else
    failed+=("$name")
    printf '=== %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
  fi
}

phase "rustfmt" cargo fmt --all --check
phase "clippy" cargo clippy --workspace --all-targets --all-features -- -D warnings
phase "no import circles" python3 scripts/import-graph.py --tests
phase "cargo test" cargo test --workspace --all-features
phase "core and access checker build for wasm32" scripts/cargo-wasm build -p cloudmqtt-api -p cloudmqtt-access --lib
phase "wasm-bindgen tests (Node, Chromium)" scripts/wasm-test.sh
phase "npm package end to end" tests/run-npm-e2e.sh
phase "size and speed benchmark" node bench/run.mjs
phase "README demo" scripts/demo.sh

printf '\n=== summary\n'
for name in "${passed[@]}"; do printf 'ok      %s\n' "$name"; done
for name in "${failed[@]}"; do printf 'FAILED  %s\n' "$name"; done
printf 'phases: %d passed, %d failed\n' "${#passed[@]}" "${#failed[@]}"
[ "${#failed[@]}" -eq 0 ]
