package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Format is the format of a dump file.
type Format int

// The dump formats.
const (
	Plain  Format = iota // plain SQL (.sql), read by psql
	Gzip                 // plain SQL, gzip-compressed (.sql.gz)
	Zstd                 // plain SQL, zstd-compressed (.sql.zst)
	Custom               // pg_dump -Fc archive (.dump), read by pg_restore
)

var formatExt = [...]string{Plain: ".sql", Gzip: ".sql.gz", Zstd: ".sql.zst", Custom: ".dump"}
var formatName = [...]string{Plain: "plain SQL", Gzip: "SQL, gzip", Zstd: "SQL, zstd", Custom: "custom (pg_restore)"}

// Ext is the file name extension of the format.
func (f Format) Ext() string { return formatExt[f] }

// String names the format for people.
func (f Format) String() string { return formatName[f] }

// TimeLayout is the timestamp in dump names (kompose.sh's
// date +%Y%m%d_%H%M%S), in local time.
const TimeLayout = "20060102_150405"

// FileName is the name of a dump of database db taken at t:
// <db>_<YYYYmmdd_HHMMSS><ext>.
func FileName(db string, t time.Time, f Format) string {
	return db + "_" + t.Format(TimeLayout) + f.Ext()
}

// Dump is a dump file found in a dump folder.
type Dump struct {
	Path   string
	Name   string
	Time   time.Time // from the name
	Format Format    // from the name
	Size   int64
}

// ParseName reports whether name is a dump of database db, and its time and
// format. Only names kompose writes match: a hidden temporary file, a dump
// of another database (news_archive_... for news) or any other file never
// does.
func ParseName(db, name string) (time.Time, Format, bool) {
	rest, ok := strings.CutPrefix(name, db+"_")
	if !ok || len(rest) < len(TimeLayout) {
		return time.Time{}, 0, false
	}
	ts, ext := rest[:len(TimeLayout)], rest[len(TimeLayout):]
	t, err := time.ParseInLocation(TimeLayout, ts, time.Local)
	if err != nil {
		return time.Time{}, 0, false
	}
	for f, e := range formatExt {
		if ext == e {
			return t, Format(f), true
		}
	}
	return time.Time{}, 0, false
}

// List returns the dumps of database db in dir, newest first (by the time
// in their names; ties by name). A folder that does not exist holds none.
func List(dir, db string) ([]Dump, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list dumps: %w", err)
	}
	var out []Dump
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		t, f, ok := ParseName(db, e.Name())
		if !ok {
			continue
		}
		d := Dump{Path: filepath.Join(dir, e.Name()), Name: e.Name(), Time: t, Format: f}
		if fi, err := e.Info(); err == nil {
			d.Size = fi.Size()
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// partialPattern is the os.CreateTemp pattern of the temporary file a dump
// is written to before it is complete: hidden, and never a dump's name.
func partialPattern(final string) string { return "." + filepath.Base(final) + ".*.partial" }

// isPartial reports whether name is a temporary file of an export of db.
func isPartial(db, name string) bool {
	return strings.HasPrefix(name, "."+db+"_") && strings.HasSuffix(name, ".partial")
}

// HumanSize formats a byte count (1.5 MB).
func HumanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// HumanAge formats an age (3d 4h, 12m).
func HumanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
