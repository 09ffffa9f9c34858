#!/usr/bin/env bash
# Prepares this machine to build and test the WebAssembly crate. Idempotent.
#
#   1. A Rust toolchain for wasm32-unknown-unknown:
#      - rustup's target when installed, or added with `rustup target add`
#        (a stock CI runner or developer machine);
#      - otherwise Debian's rustc-web, cargo-web, rust-web-src and lld-22
#        (installed with apt-get when missing, through sudo unless root), which
#        scripts/cargo-wasm drives with -Zbuild-std.
#   2. wasm-bindgen-cli (wasm-bindgen and wasm-bindgen-test-runner) at exactly
#      the version of the `wasm-bindgen` crate in Cargo.lock, installed into
#      <repo>/.tools/bin.
#   3. With --size (the npm build): a toolchain that can rebuild the standard
#      library for a smaller .wasm: rustup's nightly with rust-src, or
#      Debian's toolchain above. Without one the build still works, larger.
#
# Usage: scripts/setup-wasm.sh [--quiet] [--size]
# Prints the toolchain chosen and the commands to use.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
target=wasm32-unknown-unknown
quiet=false
size=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --size) size=true ;;
    *) echo "setup-wasm: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { $quiet || echo "setup-wasm: $*" >&2; }

# Root runs apt-get itself; anyone else through sudo when it is there.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
can_be_root() { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; }

mkdir -p "$tools"
# A remembered rustup failure is retried after a day: the network may be back.
find "$tools" -maxdepth 1 -name '*-unavailable' -mmin +1440 -delete 2>/dev/null || true

has_rustup_target() {
  command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx "$target"
}

has_debian_toolchain() {
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -x /usr/bin/rust-lld ] &&
    ls -d /usr/src/rustc-*/library >/dev/null 2>&1
}

toolchain=""
if has_rustup_target; then
  toolchain=rustup
elif command -v rustup >/dev/null 2>&1 && [ ! -e "$tools/rustup-target-unavailable" ]; then
  # `rustup target add` hangs where the rustup server cannot be reached:
  # give it a bounded time, and remember a failure so later runs skip it.
  say "adding the $target target with rustup"
  if timeout 120 rustup target add "$target" >&2; then
    toolchain=rustup
  else
    say "rustup could not add $target; falling back to Debian's toolchain"
    touch "$tools/rustup-target-unavailable"
  fi
fi
if [ -z "$toolchain" ]; then
  if ! has_debian_toolchain; then
    if ! can_be_root; then
      echo "setup-wasm: no $target toolchain; as root run:" >&2
      echo "  apt-get update && apt-get install -y rustc-web cargo-web rust-web-src lld-22" >&2
      exit 1
    fi
    say "installing Debian's rustc-web, cargo-web, rust-web-src and lld-22"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src lld-22 >&2
  fi
  has_debian_toolchain || { echo "setup-wasm: Debian's wasm toolchain is incomplete" >&2; exit 1; }
  toolchain=debian
fi

has_nightly_src() {
  command -v rustup >/dev/null 2>&1 &&
    rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'
}

if $size && ! has_nightly_src && ! has_debian_toolchain; then
  if command -v rustup >/dev/null 2>&1 && [ ! -e "$tools/nightly-src-unavailable" ]; then
    say "adding rust-src to rustup's nightly toolchain (to rebuild std for size)"
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
      add_src=(rustup component add rust-src --toolchain nightly)
    else
      add_src=(rustup toolchain install nightly --profile minimal --component rust-src)
    fi
    if ! timeout 600 "${add_src[@]}" >&2; then
      say "could not set up nightly with rust-src"
      touch "$tools/nightly-src-unavailable"
    fi
  fi
  if ! has_nightly_src && can_be_root; then
    say "installing Debian's rustc-web, cargo-web, rust-web-src and lld-22 (to rebuild std for size)"
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        rustc-web cargo-web rust-web-src lld-22; } >&2 || say "apt-get failed"
  fi
  if ! has_nightly_src && ! has_debian_toolchain; then
    say "warning: no toolchain can rebuild std here; the .wasm will be larger"
  fi
fi

# wasm-bindgen-cli, pinned to the wasm-bindgen crate in Cargo.lock.
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
if [ -z "$version" ]; then
  echo "setup-wasm: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
installed="$("$tools/bin/wasm-bindgen" --version 2>/dev/null | awk '{ print $2 }' || true)"
if [ "$installed" != "$version" ]; then
  say "installing wasm-bindgen-cli $version into $tools (a few minutes)"
  CARGO_TARGET_DIR="$root/target/wasm-bindgen-cli" \
    cargo install wasm-bindgen-cli --version "=$version" --root "$tools" >&2
fi

if ! $quiet; then
  cat >&2 <<EOF
setup-wasm: toolchain: $toolchain; wasm-bindgen-cli $version in $tools/bin
setup-wasm: commands:
  scripts/cargo-wasm build -p cloudmqtt-api --target $target
  scripts/cargo-wasm test -p cloudmqtt-api-wasm                              # Node
  WASM_BINDGEN_USE_BROWSER=1 scripts/cargo-wasm test -p cloudmqtt-api-wasm   # headless Chromium
  (cd npm && npm pack)                                                       # the npm package
EOF
fi
