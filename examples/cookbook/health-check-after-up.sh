# Health check after up: wait until every service of the stack reports
# healthy (or running, when it has no healthcheck), and fail the stack if it
# does not within HEALTH_TIMEOUT seconds (default 60). Because a post hook
# that fails marks the stack failed, `kompose "*" up -d` then exits 1.
#
# Copy into <stack>/hooks.sh.

hook_post_up() {
  local deadline=$((SECONDS + ${HEALTH_TIMEOUT:-60})) bad
  while :; do
    # One line per container: "<service> <state> <health>"
    bad=$(docker compose ps --format '{{.Service}} {{.State}} {{.Health}}' |
      awk '$2 != "running" || ($3 != "" && $3 != "healthy")')
    [[ -z $bad ]] && { echo "[$stack] all services healthy"; return 0; }
    if ((SECONDS >= deadline)); then
      echo "[$stack] not healthy after ${HEALTH_TIMEOUT:-60}s:" >&2
      echo "$bad" >&2
      return 1
    fi
    sleep 2
  done
}
