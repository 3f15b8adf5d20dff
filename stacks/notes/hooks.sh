# Seeds the demo table once the database accepts connections, and reports
# each dump kompose writes.

hook_post_up() {
  local i
  for ((i = 0; i < 60; i++)); do
    docker compose exec -T db pg_isready -q -U "$DB_USER" -d "$DB_NAME" && break
    sleep 1
  done
  docker compose exec -T db psql -q -v ON_ERROR_STOP=1 -U "$DB_USER" -d "$DB_NAME" <<'SQL'
CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL);
INSERT INTO notes (body) SELECT 'first note' WHERE NOT EXISTS (SELECT FROM notes);
SQL
  echo "[$stack] database ready: $(docker compose exec -T db psql -tA -U "$DB_USER" -d "$DB_NAME" -c 'SELECT count(*) FROM notes') note(s)"
}

# $1 is the dump file kompose just completed.
hook_post_db_export() {
  echo "[$stack] dump written: $1 ($(stat -c %s "$1") bytes)"
}
