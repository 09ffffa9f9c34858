#!/usr/bin/env bash
# Applies 200 users and 400 rules to a fresh emulator (its default apply
# delay of 1000 ms, its real broker when mosquitto is installed) and prints
# the requests sent and the seconds taken; then the same apply again, which
# has nothing to do; then the core's plan over 10,000 users and 20,000
# rules (native, no network).
#
#   bench/access.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
flags=()
if [[ "${1:-}" == "--release" ]]; then
  profile=release
  flags=(--release)
fi
cargo build -q "${flags[@]}" -p cloudmqtt-cli -p cloudmqtt-emulator
bin="target/$profile"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/cloudmqtt-emulator" --api-key bench-key >"$work/ready" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 200); do
  grep -q '^ready ' "$work/ready" 2>/dev/null && break
  sleep 0.05
done
api="$(sed -n 's/^ready api=\([^ ]*\).*/\1/p' "$work/ready")"
[[ -n "$api" ]] || { cat "$work/emulator.log"; exit 1; }

printf 'bench-password\n' >"$work/password"
{
  for i in $(seq 0 199); do
    printf '[users.device-%03d]\npassword_file = "password"\n\n' "$i"
  done
  for i in $(seq 0 199); do
    printf '[[rules]]\ntype = "topic"\nusername = "device-%03d"\npattern = "devices/%d/in/#"\nread = true\nwrite = false\n\n' "$i" "$i"
    printf '[[rules]]\ntype = "topic"\nusername = "device-%03d"\npattern = "devices/%d/out"\nread = false\nwrite = true\n\n' "$i" "$i"
  done
} >"$work/access.toml"

export CLOUDMQTT_API_KEY=bench-key CLOUDMQTT_BASE_URL="$api"
seconds=0
run_apply() {
  local label="$1" start end out
  shift
  start="$(date +%s.%N)"
  out="$("$bin/cloudmqtt" apply -f "$work/access.toml" --yes --json "$@" 2>/dev/null)"
  end="$(date +%s.%N)"
  local requests made
  requests="$(grep -o '"requests":[0-9]*' <<<"$out" | cut -d: -f2 || true)"
  made="$(grep -o '"action"' <<<"$out" | wc -l || true)"
  seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
  printf '%s: %s changes, %s requests, %.2f s\n' "$label" "$made" "${requests:-0}" "$seconds"
}
echo "emulator: default apply delay (1000 ms), $(grep -q 'mqtt=' "$work/ready" && echo 'with its broker' || echo 'no broker')"
run_apply "apply 200 users + 400 rules (concurrency 4)"
parallel="$seconds"
run_apply "apply again (nothing to do)"
"$bin/cloudmqtt" plan -f "$work/access.toml" --exit-code >/dev/null && echo "plan after apply: no changes"
# Baseline in the same run: the same apply, one request at a time.
"$bin/cloudmqtt" instance reset --yes >/dev/null
run_apply "baseline: the same apply, concurrency 1" --concurrency 1
awk -v a="$seconds" -v b="$parallel" 'BEGIN { printf "concurrency 4 takes %.2fx the time of concurrency 1\n", b / a }'

cargo run -q "${flags[@]}" -p cloudmqtt-api --example plan_bench
