#!/usr/bin/env bash
# End-to-end tests of the npm package `cloudmqtt-api`.
#
# Packs npm/ (its prepack builds what is missing), installs the tarball into
# a scratch project the way a user would, and runs against the installed
# copy: the node:test suites, a CommonJS require test, workerd, Deno,
# headless Chromium, `tsc --strict` on a typed usage file, publint, attw,
# the size budget, and reach: every toolchain users ship with building and
# running the installed package (tests/reach/reach.test.mjs). Ends with a
# line "N passed, N failed" (N counts test
# cases: each node:test case, and each check that is one command).
#
# Usage: tests/run-npm-e2e.sh [step ...]
#   steps: node require workerd deno browser cors types docs publint attw budget reach
#   (cors: a page in Chromium against the emulator's --cors-origin; it builds
#   the emulator with cargo unless CLOUDMQTT_EMULATOR_BIN names a binary)
#   (docs: the READMEs' code blocks type-checked and run against the
#   emulator, built as for cors; tests/docs/README.md)
#   (default: all). CLOUDMQTT_TARBALL=path.tgz skips packing and uses that file.
#   E2E_WORK=DIR works in DIR instead of target/npm-e2e.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESTS="$ROOT/tests"
WORK="${E2E_WORK:-$ROOT/target/npm-e2e}"
APP="$WORK/app"
LOGS="$WORK/logs"
PIDFILE="$WORK/pids"
STEP_TIMEOUT="${E2E_STEP_TIMEOUT:-300}"

ALL_STEPS=(node require workerd deno browser cors types docs publint attw budget reach)
if [ "$#" -gt 0 ]; then STEPS=("$@"); else STEPS=("${ALL_STEPS[@]}"); fi

mkdir -p "$WORK"
rm -rf "$LOGS"
mkdir -p "$LOGS"
: >"$PIDFILE"
export E2E_PIDFILE="$PIDFILE"
export NO_COLOR=1 FORCE_COLOR=0

# Stop whatever a step left running: its own process group, and the groups
# of the processes the tests started (recorded in $PIDFILE).
CURRENT_PGID=""
cleanup() {
  if [ -n "$CURRENT_PGID" ]; then kill -TERM -- "-$CURRENT_PGID" 2>/dev/null || true; fi
  if [ -s "$PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$PIDFILE"
  fi
  if [ -n "$CURRENT_PGID" ]; then kill -KILL -- "-$CURRENT_PGID" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

say() { printf '\n=== %s\n' "$*"; }
die() {
  echo "error: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# --- test tooling ---------------------------------------------------------
say "test tooling (tests/package.json)"
stamp="$TESTS/node_modules/.e2e-stamp"
lock_sum="$(cat "$TESTS/package.json" "$TESTS/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)"
# scripts/setup.sh leaves node_modules/.installed after its own install.
installed="$TESTS/node_modules/.installed"
if [ ! -f "$stamp" ] && [ -f "$installed" ] && [ "$installed" -nt "$TESTS/package.json" ] \
  && { [ ! -f "$TESTS/package-lock.json" ] || [ "$installed" -nt "$TESTS/package-lock.json" ]; }; then
  echo "$lock_sum" >"$stamp"
fi
if [ ! -d "$TESTS/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  if [ -f "$TESTS/package-lock.json" ]; then
    (cd "$TESTS" && npm ci --no-audit --no-fund) || die "npm ci in tests/ failed"
  else
    (cd "$TESTS" && npm install --no-audit --no-fund) || die "npm install in tests/ failed"
  fi
  echo "$lock_sum" >"$stamp"
  touch "$installed"
else
  echo "up to date"
fi
export E2E_TOOLS_BIN="$TESTS/node_modules/.bin"

# --- pack -------------------------------------------------------------------
if [ -n "${CLOUDMQTT_TARBALL:-}" ]; then
  TARBALL="$(cd "$(dirname "$CLOUDMQTT_TARBALL")" && pwd)/$(basename "$CLOUDMQTT_TARBALL")"
  say "using $TARBALL"
else
  say "npm pack (npm/)"
  [ -f "$ROOT/npm/package.json" ] || die "npm/package.json does not exist"
  rm -rf "$WORK/pack"
  mkdir -p "$WORK/pack"
  (cd "$ROOT/npm" && npm pack --pack-destination "$WORK/pack") >"$LOGS/pack.log" 2>&1 || {
    tail -50 "$LOGS/pack.log"
    die "npm pack failed (log: $LOGS/pack.log)"
  }
  tail -25 "$LOGS/pack.log"
  TARBALL="$(ls "$WORK"/pack/*.tgz 2>/dev/null | head -1)"
  [ -n "$TARBALL" ] || die "npm pack produced no tarball"
fi
echo "tarball: $TARBALL ($(wc -c <"$TARBALL") bytes)"

# --- install as a user would ----------------------------------------------
say "installing into a scratch project ($APP)"
rm -rf "$APP"
mkdir -p "$APP"
(
  cd "$APP" &&
    npm init -y >/dev/null &&
    npm install --no-audit --no-fund "$TARBALL"
) >"$LOGS/install.log" 2>&1 || {
  cat "$LOGS/install.log"
  die "npm install of the tarball failed"
}
PKG_DIR="$APP/node_modules/cloudmqtt-api"
[ -f "$PKG_DIR/package.json" ] || die "the tarball did not install node_modules/cloudmqtt-api"
mkdir -p "$APP/test"
cp -r "$TESTS/npm" "$TESTS/workerd" "$TESTS/deno" "$TESTS/browser" "$TESTS/types" "$APP/test/"
export CLOUDMQTT_PKG_DIR="$PKG_DIR"
# The repository, for suites that build and start the emulator.
export CLOUDMQTT_REPO="$ROOT"
echo "installed $(node -p "require('$PKG_DIR/package.json').version")"

# --- steps --------------------------------------------------------------------
PASSED=0
FAILED=0
SUMMARY=()

# run_step NAME KIND COMMAND...  (KIND: tap = node:test, counted per test; one = one check)
run_step() {
  local name="$1" kind="$2"
  shift 2
  local log="$LOGS/$name.log" tap="$LOGS/$name.tap"
  say "$name"
  local start=$SECONDS
  (
    cd "$APP" || exit 1
    if [ "$kind" = tap ]; then
      exec setsid -w timeout -k 10 "$STEP_TIMEOUT" "$1" --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" "${@:2}"
    else
      exec setsid -w timeout -k 10 "$STEP_TIMEOUT" "$@"
    fi
  ) > >(tee "$log") 2>&1 &
  local pid=$!
  CURRENT_PGID=$pid
  wait "$pid"
  local rc=$?
  CURRENT_PGID=""
  kill -KILL -- "-$pid" 2>/dev/null || true
  local took=$((SECONDS - start))
  local pass=0 fail=0
  if [ "$kind" = tap ] && [ -f "$tap" ]; then
    pass="$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')"
    fail="$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')"
    local cancelled
    cancelled="$(grep -E '^# cancelled ' "$tap" | tail -1 | awk '{print $3}')"
    pass="${pass:-0}"
    fail=$((${fail:-0} + ${cancelled:-0}))
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  elif [ "$rc" -eq 0 ]; then
    pass=1
  else
    fail=1
  fi
  PASSED=$((PASSED + pass))
  FAILED=$((FAILED + fail))
  local verdict=ok
  [ "$rc" -eq 0 ] || verdict="FAILED (exit $rc)"
  SUMMARY+=("$(printf '%-9s %-18s %3d passed %3d failed  %4ss' "$name" "$verdict" "$pass" "$fail" "$took")")
}

NODE_TESTS=()
for f in "$APP"/test/npm/*.test.mjs; do NODE_TESTS+=("$f"); done

for step in "${STEPS[@]}"; do
  case "$step" in
    node) run_step node tap node --test --test-concurrency=2 "${NODE_TESTS[@]}" ;;
    require) run_step require tap node --test "$APP/test/npm/require.test.cjs" ;;
    workerd) run_step workerd tap node --test "$APP/test/workerd/workerd.test.mjs" ;;
    deno) run_step deno tap node --test "$APP/test/deno/deno.test.mjs" "$APP/test/deno/access.test.mjs" ;;
    browser) run_step browser tap node --test "$APP/test/browser/browser.test.mjs" ;;
    cors)
      if [ -z "${CLOUDMQTT_EMULATOR_BIN:-}" ]; then
        (cd "$ROOT" && cargo build -q -p cloudmqtt-emulator) || die "cargo build -p cloudmqtt-emulator failed"
        export CLOUDMQTT_EMULATOR_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/cloudmqtt-emulator"
      fi
      run_step cors tap node --test "$APP/test/browser/emulator.test.mjs"
      ;;
    types) run_step types one "$E2E_TOOLS_BIN/tsc" -p "$APP/test/types/tsconfig.json" --noEmit --strict ;;
    docs)
      [ -d "$TESTS/docs/node_modules" ] || (cd "$TESTS/docs" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci in tests/docs failed"
      if [ -z "${CLOUDMQTT_EMULATOR_BIN:-}" ]; then
        (cd "$ROOT" && cargo build -q -p cloudmqtt-emulator) || die "cargo build -p cloudmqtt-emulator failed"
        export CLOUDMQTT_EMULATOR_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/cloudmqtt-emulator"
      fi
      run_step docs tap node --test "$TESTS/docs/docs.test.mjs"
      ;;
    publint) run_step publint one "$E2E_TOOLS_BIN/publint" run --strict "$TARBALL" ;;
    # The .wasm export is an asset for hosts that load it themselves, not a
    # module with types.
    attw) run_step attw one "$E2E_TOOLS_BIN/attw" "$TARBALL" --exclude-entrypoints ./cloudmqtt_api_wasm_bg.wasm ;;
    budget) run_step budget one node "$ROOT/bench/run.mjs" --size-only --package "$PKG_DIR" ;;
    reach)
      [ -d "$TESTS/reach/node_modules" ] || (cd "$TESTS/reach" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) ||
        die "npm ci in tests/reach failed"
      export REACH_TARBALL="$TARBALL" REACH_WORK="$WORK/reach"
      STEP_TIMEOUT="${E2E_REACH_TIMEOUT:-1500}" run_step reach tap node --test --test-concurrency=1 "$TESTS/reach/reach.test.mjs"
      ;;
    *) die "unknown step $step (steps: ${ALL_STEPS[*]})" ;;
  esac
done

say "summary (logs: $LOGS)"
for line in "${SUMMARY[@]}"; do echo "$line"; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
