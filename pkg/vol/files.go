package vol

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
)

// VarBackupDir moves a stack's archives: KOMPOSE_BACKUP_DIR/<stack>/.
// Without it they go to <stack>/backups/.
const VarBackupDir = "KOMPOSE_BACKUP_DIR"

// Dir is the folder of a stack's archives.
func Dir(e *env.Env, stackName, stackDir string) (string, error) {
	if v, ok := e.Get(VarBackupDir); ok && v != "" {
		if !filepath.IsAbs(v) {
			return "", fmt.Errorf("%s=%q: must be an absolute path", VarBackupDir, v)
		}
		return filepath.Join(filepath.Clean(v), stackName), nil
	}
	return filepath.Join(stackDir, "backups"), nil
}

const stamp = "20060102_150405"

// archiveRE parses an archive's name: base, time, sequence, suffix.
var archiveRE = regexp.MustCompile(`^(.+)_([0-9]{8}_[0-9]{6})(?:_([0-9]{1,3}))?(\.tar(?:\.gz|\.zst)?(?:\.[a-z]+)?)$`)

// FileName is the name of the seq-th archive of base taken in the second t.
func FileName(base string, t time.Time, seq int, suffix string) string {
	n := base + "_" + t.Format(stamp)
	if seq > 1 {
		n += "_" + strconv.Itoa(seq)
	}
	return n + suffix
}

// Archive is an archive found in a backup folder.
type Archive struct {
	Path   string
	Name   string
	Base   string // the target's FileBase
	Time   time.Time
	Seq    int
	Suffix string
	Size   int64
}

// parse reads an archive name.
func parse(name string) (base string, t time.Time, seq int, suffix string, ok bool) {
	m := archiveRE.FindStringSubmatch(name)
	if m == nil {
		return "", time.Time{}, 0, "", false
	}
	t, err := time.ParseInLocation(stamp, m[2], time.Local)
	if err != nil {
		return "", time.Time{}, 0, "", false
	}
	seq = 1
	if m[3] != "" {
		seq, _ = strconv.Atoi(m[3])
	}
	return m[1], t, seq, m[4], true
}

// List returns the archives of base in dir (every base when base is ""),
// newest first: regular files only, named as vol:export names them.
func List(dir, base string) ([]Archive, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Archive
	for _, e := range entries {
		b, t, seq, suf, ok := parse(e.Name())
		if !ok || (base != "" && b != base) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, Archive{Path: filepath.Join(dir, e.Name()), Name: e.Name(), Base: b, Time: t, Seq: seq, Suffix: suf, Size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].Seq > out[j].Seq
	})
	return out, nil
}

// freePath is the first name of base at t, with suffix, that no archive
// (of any suffix) in dir has.
func freePath(dir, base string, t time.Time, suffix string) string {
	taken := map[int]bool{}
	all, _ := List(dir, base)
	for _, a := range all {
		// By the name's stamp: t has sub-second digits the name has not.
		if a.Time.Format(stamp) == t.Format(stamp) {
			taken[a.Seq] = true
		}
	}
	seq := 1
	for taken[seq] && seq < 999 {
		seq++
	}
	return filepath.Join(dir, FileName(base, t, seq, suffix))
}

// ManifestSuffix ends the name of an archive's manifest, beside it.
const ManifestSuffix = ".manifest.json"

// Manifest is recorded beside each archive, for verification and for
// vol:import to refuse an archive of another stack or volume.
type Manifest struct {
	Version  int       `json:"kompose_volume_archive"`
	Stack    string    `json:"stack"`
	Project  string    `json:"project"`
	Volume   string    `json:"volume"` // Target.Name
	Kind     Kind      `json:"kind"`
	Engine   string    `json:"engine_name"`
	Created  time.Time `json:"created"`
	Codec    string    `json:"compression"`
	Counts   Counts    `json:"contents"`
	Size     int64     `json:"archive_bytes"`
	SHA256   string    `json:"archive_sha256"`
	Seconds  float64   `json:"seconds"`
	Excludes []string  `json:"exclude,omitempty"`
	// Note says why the archive was made when not by vol:export (the
	// safety copy vol:import makes before replacing a volume's contents).
	Note string `json:"note,omitempty"`
}

// ReadManifest reads the manifest beside archive: a regular file, not
// followed through a symlink, at most 64 kB.
func ReadManifest(archive string) (Manifest, error) {
	var m Manifest
	f, err := os.OpenFile(archive+ManifestSuffix, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return m, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return m, fmt.Errorf("%s%s: not a regular file", archive, ManifestSuffix)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s%s: %w", archive, ManifestSuffix, err)
	}
	return m, nil
}
