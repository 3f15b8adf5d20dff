// Package db exports and imports the PostgreSQL, MariaDB or MySQL database
// of a stack: db:export, db:import, db:cleanup and db:list.
//
// The engine is DB_ENGINE, else the image of the service the tools run in,
// else PostgreSQL ([Locate]). What every engine shares (file names, the
// temporary file verified before it is linked to its name, compression,
// locks, hooks, cleanup, listing, the import's order: check, scratch, load,
// swap, keep) is written once; an import asks the engine's [server] for
// the rest (pg.go, mysql.go). MariaDB and MySQL dumps load under the
// client's --sandbox and swap in with one RENAME TABLE (see mysql.go).
//
// A stack takes part when its merged environment has DB_NAME. Where
// pg_dump and psql run is decided once, when the plan is built
// ([Locate]): a compose service (DB_SERVICE), a container (DB_CONTAINER),
// the stack's PostgreSQL service found by image, else the host. The
// password travels only in the environment of the child process (PGPASSWORD,
// and docker's "-e PGPASSWORD" form, which takes the value from there), never
// in arguments or output.
//
// Dumps are streamed: pg_dump writes into a temporary file (directly, or
// through a gzip/zstd compressor), which is synced and linked to its final
// name only when pg_dump succeeded and the dump is verified complete (see
// Export.verify); names are never reused ([SeqFileName]). An import checks
// the whole dump first (it decompresses and is complete), loads it under
// psql's \restrict with a secret key, so that psql refuses every
// meta-command in it ([restrictingReader]), into a scratch database and swaps it with the live one only once the
// whole dump has loaded; on any failure the live database is untouched. A
// lock file per dump folder and database (opened without following
// symlinks) keeps two kompose runs from working on the same database at
// once, and [Checks] refuses two stacks sharing a dump folder and name.
package db
