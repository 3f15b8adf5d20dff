package db

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// A dump records the database it was made from in two places kompose
// reads: a custom archive's header (pg_dump writes the database name
// there), and the file name kompose gives dumps, <DB_NAME>_<time>. A plain
// SQL dump's header names no database (only pg_dump --create writes one,
// in CREATE DATABASE and \connect lines, which psql refuses to obey
// anyway). The header wins over the name: a renamed archive is still the
// database it was dumped from.

// dumpNameRE is kompose's dump name: the database, the time, an optional
// number, an extension (a compressed archive may have .gz or .zst added).
var dumpNameRE = regexp.MustCompile(`^(.+)_[0-9]{8}_[0-9]{6}(_[0-9]+)?\.(sql|sql\.gz|sql\.zst|dump|dump\.gz|dump\.zst)$`)

// Origin is the database a dump was made from, and where kompose read it.
type Origin struct {
	DB     string // "" when the dump records none
	Source string // "custom-format header", "file name"
}

// DumpOrigin reads which database the dump at path was made from.
func DumpOrigin(path string, format Format, archive bool) (Origin, error) {
	if archive {
		db, err := archiveDBName(path, format)
		if err != nil {
			return Origin{}, err
		}
		if db != "" {
			return Origin{DB: db, Source: "its custom-format header"}, nil
		}
	}
	if m := dumpNameRE.FindStringSubmatch(filepath.Base(path)); m != nil {
		return Origin{DB: m[1], Source: "its file name"}, nil
	}
	return Origin{}, nil
}

// archiveDBName reads the database name from a custom archive's header
// (pg_dump's WriteHead), also inside gzip or zstd. "" when the archive
// is too old to record it (before format 1.10, PostgreSQL 8.4).
func archiveDBName(path string, format Format) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dump: %w", err)
	}
	defer f.Close()
	_, br, err := sniffReader(f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	body, err := decompressor(br, format)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	defer body.Close()
	name, err := readArchiveHead(bufio.NewReader(io.LimitReader(body, 1<<20)))
	if err != nil {
		return "", fmt.Errorf("%s: custom-format header: %w", path, err)
	}
	return name, nil
}

// readArchiveHead parses the header of a custom archive up to the
// database name: "PGDMP", version (3 bytes), int size, offset size,
// format, compression, creation time (7 ints), database name.
func readArchiveHead(r *bufio.Reader) (string, error) {
	head := make([]byte, 11)
	if _, err := io.ReadFull(r, head); err != nil {
		return "", err
	}
	if string(head[:5]) != "PGDMP" {
		return "", errors.New("not a custom archive")
	}
	vmaj, vmin := int(head[5]), int(head[6])
	version := vmaj*100 + vmin
	if version < 110 {
		return "", nil
	}
	intSize := int(head[8])
	if intSize < 1 || intSize > 8 {
		return "", fmt.Errorf("int size %d", intSize)
	}
	readInt := func() (int64, error) {
		b := make([]byte, 1+intSize)
		if _, err := io.ReadFull(r, b); err != nil {
			return 0, err
		}
		var v uint64
		for i := intSize; i >= 1; i-- {
			v = v<<8 | uint64(b[i])
		}
		if b[0] != 0 {
			return -int64(v), nil
		}
		return int64(v), nil
	}
	if version >= 115 {
		if _, err := r.ReadByte(); err != nil { // compression algorithm
			return "", err
		}
	} else if _, err := readInt(); err != nil { // compression level
		return "", err
	}
	for i := 0; i < 7; i++ { // creation time
		if _, err := readInt(); err != nil {
			return "", err
		}
	}
	n, err := readInt()
	if err != nil {
		return "", err
	}
	if n < 0 || n > 1<<16 {
		return "", nil
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(r, name); err != nil {
		return "", err
	}
	return string(name), nil
}
