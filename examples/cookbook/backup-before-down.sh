# Backup before down: archive the stack's named volumes before `down`, so a
# `down -v` typed by mistake can be undone. A failing backup stops the down
# for this stack only (a failing pre hook skips the command).
#
# Archives go to $BACKUP_DIR (default: <stack>/backups), one tar.gz per
# volume, made with the stack's own image-free helper: a throwaway container
# of $DEMO_IMAGE (any image with tar) mounting the volume read-only.
#
# Copy into <stack>/hooks.sh.

hook_pre_down() {
  local dir=${BACKUP_DIR:-$PWD/backups} stamp vol
  stamp=$(date -u +%Y%m%d_%H%M%S)
  mkdir -p "$dir" || return
  for vol in $(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"); do
    echo "[$stack] saving volume $vol"
    docker run --rm -v "$vol:/data:ro" -v "$dir:/backup" "${BACKUP_IMAGE:-$DEMO_IMAGE}" \
      tar -czf "/backup/${vol}_${stamp}.tar.gz" -C /data . || return
  done
}
