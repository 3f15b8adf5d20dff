# Cache warming after up: request the pages users hit first so the first
# visitor after a deploy does not pay for a cold cache. WARM_URLS is a
# space-separated list (stack .env); WARM_BASE is the site's address.
# Failures are reported but do not fail the deploy.
#
# Copy into <stack>/hooks.sh.

hook_post_up() {
  local path code
  for path in ${WARM_URLS:-/}; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "${WARM_BASE:-http://localhost}$path")
    echo "[$stack] warmed $path: $code"
  done
  return 0
}
