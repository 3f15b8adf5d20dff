# Helpers the benchmark scripts share; source it, with $runs set.

# median_seconds CMD...: runs CMD $runs times (its output and exit status
# ignored) and prints the median wall time in seconds.
median_seconds() {
  local i t0 t1 times=()
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    times+=("$(((t1 - t0) / 1000))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e6}'
}

# idle_stack DIR PROJECT: writes DIR/compose.yaml, one idle debian service
# of compose project PROJECT that needs no network and stops at once.
idle_stack() {
  mkdir -p "$1"
  cat >"$1/compose.yaml" <<YAML
name: $2
services:
  app:
    image: kompose-test/debian:bookworm
    pull_policy: never
    network_mode: none
    stop_grace_period: 1s
    command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
YAML
}
