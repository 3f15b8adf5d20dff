package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
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
	return SeqFileName(db, t, 1, f)
}

// SeqFileName is the name of the seq-th dump of database db taken in the
// second t: FileName for seq 1, <db>_<YYYYmmdd_HHMMSS>_<seq><ext> for the
// next ones (two exports in the same second).
func SeqFileName(db string, t time.Time, seq int, f Format) string {
	name := db + "_" + t.Format(TimeLayout)
	if seq > 1 {
		name += "_" + strconv.Itoa(seq)
	}
	return name + f.Ext()
}

// takenSeqs are the sequence numbers of the second t that dumps of db in
// dir, in any format, or temporary files of running exports use.
func takenSeqs(dir, db string, t time.Time) map[int]bool {
	taken := map[int]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if isPartial(db, name) {
			name = safefile.PartialFinal(name)
		}
		if dt, seq, _, ok := parseName(db, name); ok && dt.Equal(t.Truncate(time.Second)) {
			taken[seq] = true
		}
	}
	return taken
}

// maxSeq bounds the exports of one database in one second.
const maxSeq = 999

// freeDumpPath is the path of a new dump of db taken at t in dir: the
// first sequence number of that second that no dump (in any format) and
// no temporary file of a running export uses.
func freeDumpPath(dir, db string, t time.Time, f Format) string {
	taken := takenSeqs(dir, db, t)
	seq := 1
	for taken[seq] && seq < maxSeq {
		seq++
	}
	return filepath.Join(dir, SeqFileName(db, t, seq, f))
}

// Dump is a dump file found in a dump folder.
type Dump struct {
	Path   string
	Name   string
	Time   time.Time // from the name
	Seq    int       // from the name: 1, or the _N of a second dump in the same second
	Format Format    // from the name
	Size   int64
	// Encrypted: the name ends in .age (encrypted with age; the
	// format is that of the file inside).
	Encrypted bool
	// Foreign says why the trust rule refuses the file ([SplitTrusted]);
	// "" for a dump of yours.
	Foreign string
}

// SplitTrusted separates the dumps the trust rule accepts (owned by root,
// you or a trusted account, writable by no one else) from files that are
// only named like dumps: in a sticky shared dump folder another user may
// create those, with any time in their names. The foreign ones are never
// counted as dumps kept, never removed, and say why ([Dump.Foreign]).
func SplitTrusted(pol trust.Policy, dumps []Dump) (own, foreign []Dump) {
	for _, d := range dumps {
		fi, err := os.Lstat(d.Path)
		if err == nil {
			err = pol.Check("count as a dump", d.Path, fi)
		}
		var ue *trust.UnsafeError
		switch {
		case errors.As(err, &ue):
			d.Foreign = ue.Reason
		case err != nil:
			d.Foreign = err.Error()
		default:
			own = append(own, d)
			continue
		}
		foreign = append(foreign, d)
	}
	return own, foreign
}

// foreignLine is the line of the dry run and db:list for a foreign dump.
func foreignLine(d Dump) string {
	return fmt.Sprintf("not a dump of yours: %s (%s): left alone, never counted nor removed", d.Name, d.Foreign)
}

// ParseName reports whether name is a dump of database db, and its time and
// format. Only names kompose writes match: a hidden temporary file, a dump
// of another database (news_archive_... for news) or any other file never
// does.
func ParseName(db, name string) (time.Time, Format, bool) {
	t, _, f, ok := parseName(db, name)
	return t, f, ok
}

// parseName is ParseName with the sequence number: 1, or N of a name
// ending in _N (N from 2, without leading zeros).
func parseName(db, name string) (time.Time, int, Format, bool) {
	rest, ok := strings.CutPrefix(name, db+"_")
	if !ok || len(rest) < len(TimeLayout) {
		return time.Time{}, 0, 0, false
	}
	ts, ext := rest[:len(TimeLayout)], rest[len(TimeLayout):]
	t, err := time.ParseInLocation(TimeLayout, ts, time.Local)
	if err != nil {
		return time.Time{}, 0, 0, false
	}
	seq := 1
	if n, ok := strings.CutPrefix(ext, "_"); ok {
		i := 0
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
		if i == 0 || i > 3 || n[0] == '0' {
			return time.Time{}, 0, 0, false
		}
		seq, _ = strconv.Atoi(n[:i])
		if seq < 2 {
			return time.Time{}, 0, 0, false
		}
		ext = n[i:]
	}
	// An encrypted dump is the name of the dump inside, with .age
	// (encrypt.go).
	ext = strings.TrimSuffix(ext, ageExt)
	for f, e := range formatExt {
		if ext == e {
			return t, seq, Format(f), true
		}
	}
	return time.Time{}, 0, 0, false
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
		t, seq, f, ok := parseName(db, e.Name())
		if !ok {
			continue
		}
		d := Dump{Path: filepath.Join(dir, e.Name()), Name: e.Name(), Time: t, Seq: seq, Format: f, Encrypted: strings.HasSuffix(e.Name(), ageExt)}
		if fi, err := e.Info(); err == nil {
			d.Size = fi.Size()
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		if out[i].Seq != out[j].Seq {
			return out[i].Seq > out[j].Seq
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// The temporary file a dump is written to before it is complete is
// pkg/safefile's partial file of its final name,
// .<final name>.<random digits>.partial: hidden, never a dump's name, and
// owned by exactly one database (the final name parses as one of its
// dumps, so news never takes news_archive's).

// isPartial reports whether name is a temporary file of an export of db.
func isPartial(db, name string) bool {
	final := safefile.PartialFinal(name)
	if final == "" {
		return false
	}
	_, _, _, ok := parseName(db, final)
	return ok
}

// HumanSize formats a byte count (1.5 MB): [output.HumanSize].
func HumanSize(n int64) string { return output.HumanSize(n) }

// HumanAge formats an age (3d04h, 12m): [output.HumanAge].
func HumanAge(d time.Duration) string { return output.HumanAge(d) }
