# hooks.sh: bash functions kompose calls around compose commands.
# Each call is its own bash, in this folder, with this stack's environment
# plus $stack, $SCRIPT_DIR (the root) and $COMPOSE_PROJECT_NAME.

hook_pre_up() {
  echo "[$stack] starting with: $* (interval ${INTERVAL}s)"
}

# Runs only when `docker compose up` succeeded: check the service is running.
hook_post_up() {
  local running
  running=$(docker compose ps --status running --services)
  if [[ $running != *clock* ]]; then
    echo "[$stack] clock is not running" >&2
    return 1
  fi
  echo "[$stack] healthy: $running"
}

# A failing pre hook stops this stack (down does not run) and only this one.
hook_pre_down() {
  echo "[$stack] last words before down:"
  docker compose logs --tail 2 clock
}
