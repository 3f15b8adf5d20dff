// Package vol archives and lists the volumes of a stack: vol:export (and,
// as they land, vol:import, vol:list and vol:cleanup).
//
// What a stack's volumes are is read from its compose project as compose
// loads it ([Targets]): its named volumes under compose's own names
// (external ones only when named on the command line), the bind mounts of
// its services that lie inside the stack's folder, and the extra folders
// of x-kompose: {backup: {paths: [...]}}; x-kompose.backup.exclude leaves
// paths out of every archive.
//
// A volume is streamed through the engine, never read from
// /var/lib/docker: `docker cp CONTAINER:PATH/. -` from a container of the
// stack that mounts it (a stopped one works), or from a container created,
// never started, from an image the stack already has (`docker create
// --pull never`), removed afterwards. So it works on a remote engine
// (DOCKER_HOST=ssh://…) and pulls nothing. The tar stream is read entry by
// entry (counted, excluded paths dropped), compressed, and written to a
// hidden temporary file ([safefile.CreatePartial]); the file is then read
// back in full (it decompresses, every entry parses, the counts agree),
// its manifest (files, bytes, sha256) written beside it, and only then
// does it get its name ([safefile.Publish]). A failed or killed export
// leaves nothing that looks like an archive.
//
// The writer is a stream pipeline with a seam ([Layer]): a later layer can
// wrap what is written (encryption at rest) and see every byte of it (an
// offsite copy), without the archive being read twice.
package vol
