#!/usr/bin/env bash
# The demo, in one command: installs what is missing, packs the npm package,
# starts the emulator with a real Mosquitto broker, runs the Node quickstart
# (examples/quickstart.mjs) against it as a user would, and stops the
# emulator again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The demo needs no browser and no test tooling.
scripts/setup.sh --demo
if [ -x .tools/node/bin/node ]; then export PATH="$root/.tools/node/bin:$PATH"; fi

work=$(mktemp -d)
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "[demo] packing the npm package"
tarball=$(cd npm && npm pack --silent --pack-destination "$work" | tail -n 1)

echo "[demo] installing it beside the example"
if [ ! -f examples/node_modules/.installed ] || [ examples/package-lock.json -nt examples/node_modules/.installed ]; then
  (cd examples && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
fi
(cd examples && npm install --no-save --no-audit --no-fund --loglevel=error "$work/$tarball")

echo "[demo] building and starting the emulator"
cargo build --quiet -p cloudmqtt-emulator
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
"$target_dir/debug/cloudmqtt-emulator" --data-dir "$work/data" --apply-delay-ms 1000 \
  >"$work/stdout" 2>"$work/emulator.log" &
emulator_pid=$!
ready=
for _ in $(seq 1 300); do
  ready=$(grep -m1 '^ready ' "$work/stdout" || true)
  [ -n "$ready" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "[demo] the emulator did not start:" >&2
  cat "$work/emulator.log" >&2
  exit 1
fi
echo "[demo] $ready" | sed 's/key=[^ ]*/key=[hidden]/'
for field in $ready; do
  case $field in
    api=*) export CLOUDMQTT_BASE_URL=${field#api=} ;;
    mqtt=*) export CLOUDMQTT_MQTT_URL=${field#mqtt=} ;;
    key=*) export CLOUDMQTT_API_KEY=${field#key=} ;;
  esac
done

echo "[demo] running examples/quickstart.mjs"
(cd "$root/examples" && node quickstart.mjs)
