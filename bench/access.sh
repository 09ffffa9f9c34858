#!/usr/bin/env bash
# Applies 200 users and 400 rules to a fresh emulator (its default apply
# delay of 1000 ms, its real broker when mosquitto is installed) and prints
# the requests sent and the seconds taken; then the same apply again, which
# has nothing to do; then, against an emulator that answers each request
# after 200 ms, the requests per change and the seconds of `apply -f`
# (plan and apply in one) and of `plan -o` then `apply PLAN` (which reads
# the server again before its first write); then the core's plan and saved
# plan over 10,000 users and 20,000 rules (native, no network).
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

api=""
start_emulator() {
  rm -f "$work/ready"
  "$bin/cloudmqtt-emulator" --api-key bench-key "$@" >"$work/ready" 2>"$work/emulator.log" &
  emulator_pid=$!
  for _ in $(seq 200); do
    grep -q '^ready ' "$work/ready" 2>/dev/null && break
    sleep 0.05
  done
  api="$(sed -n 's/^ready api=\([^ ]*\).*/\1/p' "$work/ready")"
  [[ -n "$api" ]] || { cat "$work/emulator.log"; exit 1; }
  export CLOUDMQTT_BASE_URL="$api"
}
stop_emulator() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  emulator_pid=""
}
start_emulator

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

export CLOUDMQTT_API_KEY=bench-key
seconds=0
# run_apply LABEL SOURCE... : `cloudmqtt apply SOURCE... --yes --json`,
# printing changes, requests (the apply's, and those of its reads of the
# server, from the emulator's log) and seconds.
run_apply() {
  local label="$1" start end out before after
  shift
  before="$(grep -c ' /api/' "$work/emulator.log" || true)"
  start="$(date +%s.%N)"
  out="$("$bin/cloudmqtt" apply "$@" --yes --json 2>/dev/null)"
  end="$(date +%s.%N)"
  after="$(grep -c ' /api/' "$work/emulator.log" || true)"
  local requests made
  requests="$(grep -o '"requests":[0-9]*' <<<"$out" | cut -d: -f2 || true)"
  made="$(grep -o '"action"' <<<"$out" | wc -l || true)"
  seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
  printf '%s: %s changes, %s requests (%s with the reads of the server), %.2f s' \
    "$label" "$made" "${requests:-0}" "$((after - before))" "$seconds"
  awk -v n="$((after - before))" -v c="$made" 'BEGIN { if (c > 0) printf ", %.2f requests per change", n / c }'
  printf '\n'
}
echo "emulator: default apply delay (1000 ms), $(grep -q 'mqtt=' "$work/ready" && echo 'with its broker' || echo 'no broker')"
run_apply "apply 200 users + 400 rules (concurrency 4)" -f "$work/access.toml"
parallel="$seconds"
run_apply "apply again (nothing to do)" -f "$work/access.toml"
"$bin/cloudmqtt" plan -f "$work/access.toml" --exit-code >/dev/null && echo "plan after apply: no changes"
# Baseline in the same run: the same apply, one request at a time.
"$bin/cloudmqtt" instance reset --yes >/dev/null
run_apply "baseline: the same apply, concurrency 1" -f "$work/access.toml" --concurrency 1
awk -v a="$seconds" -v b="$parallel" 'BEGIN { printf "concurrency 4 takes %.2fx the time of concurrency 1\n", b / a }'
stop_emulator

# A server that answers each request after 200 ms.
start_emulator --latency-ms 200
echo "emulator: every answer after 200 ms, changes visible after 1000 ms"
run_apply "apply -f (reads, plans, applies; concurrency 4)" -f "$work/access.toml"
"$bin/cloudmqtt" instance reset --yes >/dev/null
"$bin/cloudmqtt" plan -f "$work/access.toml" -o "$work/plan.json" >/dev/null 2>&1
run_apply "apply PLAN (reads again, checks, applies; concurrency 4)" "$work/plan.json"
stop_emulator

cargo run -q "${flags[@]}" -p cloudmqtt-api --example plan_bench
