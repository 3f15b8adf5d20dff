package gitsync

import (
	"path"
	"regexp"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/update"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// ownNames are the names of the files kompose itself writes inside a
// stack's folder, as path.Match patterns on a file's base name: the
// stack lock, update's history and check file, the database and volume
// locks, kept and verified markers, partial files and safefile's
// temporary files. ownDir is the folder it makes there (db:import's
// scratch restore folders). [Own] also knows the dumps and archives.
// This is the one list; a new file kompose writes in stacks belongs here.
func ownNames() []string {
	return []string{
		plan.LockFile,         // .kompose.lock
		update.FileName,       // .kompose-updates.json
		update.CheckFileName,  // .kompose-check.json
		".*.kompose.lock",     // pkg/db, pkg/vol locks
		".*.kompose.kept",     // pkg/db
		".*.kompose.verified", // pkg/db, pkg/vol
		"*" + safefile.PartialSuffix,
		".*.*.tmp", // safefile.WriteFile's temporary files
		"*" + vol.ManifestSuffix,
	}
}

// ownDir is the folder kompose makes in a stack (pkg/db's restore folders).
const ownDir = ".kompose-restore-*"

// dumpRE matches dumps (pkg/db: <db>_<YYYYmmdd_HHMMSS>[_seq].sql[.gz|.zst]
// or .dump, encrypted: .age) and volume archives (pkg/vol:
// <base>_<stamp>[_seq].tar[.gz|.zst][.age]).
var dumpRE = regexp.MustCompile(`^.+_[0-9]{8}_[0-9]{6}(?:_[0-9]{1,3})?(?:\.sql(?:\.gz|\.zst)?|\.dump|\.tar(?:\.gz|\.zst)?)(?:\.age)?$`)

// Own reports whether rel, a path relative to the work tree with "/"
// separators, is a file kompose writes itself (those never make a work
// tree dirty for sync).
func Own(rel string) bool {
	parts := strings.Split(strings.TrimSuffix(rel, "/"), "/")
	for _, dir := range parts[:len(parts)-1] {
		if ok, _ := path.Match(ownDir, dir); ok {
			return true
		}
	}
	base := parts[len(parts)-1]
	if ok, _ := path.Match(ownDir, base); ok && strings.HasSuffix(rel, "/") {
		return true
	}
	for _, pat := range ownNames() {
		if ok, _ := path.Match(pat, base); ok {
			return true
		}
	}
	return dumpRE.MatchString(base)
}
