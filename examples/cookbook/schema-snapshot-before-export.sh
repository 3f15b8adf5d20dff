# Schema snapshot before export: keep a schema-only dump next to every data
# export, so a diff of two snapshots shows what a migration changed. Runs
# before `kompose <stack> db:export` (hook_pre_db_export); its failure stops
# the export of this stack only.
#
# pg_dump runs inside the stack's database service ($DB_SERVICE, default
# "db"); the password stays in the environment (-e PGPASSWORD takes the
# value from this hook's environment, not from the command line).
#
# Copy into <stack>/hooks.sh.

hook_pre_db_export() {
  local dir=${DB_DUMP_DIR:-$PWD} out
  out="$dir/${DB_NAME}_schema_$(date -u +%Y%m%d_%H%M%S).sql"
  PGPASSWORD=${DB_PASSWORD-} docker compose exec -T -e PGPASSWORD "${DB_SERVICE:-db}" \
    pg_dump --schema-only --no-owner -U "${DB_USER:-postgres}" "$DB_NAME" >"$out.tmp" &&
    mv "$out.tmp" "$out" && echo "[$stack] schema snapshot: $out"
}
