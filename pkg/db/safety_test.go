package db

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Issue 8, defect 2: an age that is not a sane positive duration is refused.
func TestParseAgeRefusesOverflowAndNonsense(t *testing.T) {
	for _, in := range []string{"300000d", "999999999w", "1e10d", "infd", "NaNd", "Infd", "1e3d", "0x10d", "+3d", " 3d", "3d ", "1e400h", "2000000h", "-1h", "0h", "100000d"} {
		if d, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) = %v, want an error", in, d)
		}
	}
	for in, want := range map[string]time.Duration{"36500d": 36500 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "90m": 90 * time.Minute, "0.5d": 12 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// Issue 8, defect 6: names with a collision suffix parse, and order after
// the plain name of the same second (and _10 after _9).
func TestSuffixedNamesOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{"db_20240101_000000.sql", "db_20240101_000000_2.sql.gz", "db_20240101_000000_10.dump", "db_20240101_000000_9.sql", "db_20231231_235959_3.sql", "db_20240101_000001.sql.zst"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"db_20240101_000000_1.sql", "db_20240101_000000_02.sql", "db_20240101_000000_.sql", "db_20240101_000000_x.sql", "db_20240101_000000_2_3.sql"} {
		if _, _, ok := ParseName("db", bad); ok {
			t.Errorf("ParseName(%q) matched", bad)
		}
	}
	dumps, err := List(dir, "db")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range dumps {
		got = append(got, d.Name)
	}
	want := []string{"db_20240101_000001.sql.zst", "db_20240101_000000_10.dump", "db_20240101_000000_9.sql", "db_20240101_000000_2.sql.gz", "db_20240101_000000.sql", "db_20231231_235959_3.sql"}
	if !slices.Equal(got, want) {
		t.Errorf("List = %v\nwant   %v", got, want)
	}
}

// Issue 8, defect 6: the planned name of an export skips every name taken
// in that second, in any format, and partial files of running exports.
func TestFreeDumpName(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local)
	if got := freeDumpPath(dir, "db", at, Plain); filepath.Base(got) != "db_20240101_000000.sql" {
		t.Errorf("empty folder: %s", got)
	}
	os.WriteFile(filepath.Join(dir, "db_20240101_000000.sql.gz"), nil, 0o600)
	if got := freeDumpPath(dir, "db", at, Plain); filepath.Base(got) != "db_20240101_000000_2.sql" {
		t.Errorf("after a gzip dump of that second: %s", got)
	}
	os.WriteFile(filepath.Join(dir, ".db_20240101_000000_2.dump.123.partial"), nil, 0o600)
	if got := freeDumpPath(dir, "db", at, Zstd); filepath.Base(got) != "db_20240101_000000_3.sql.zst" {
		t.Errorf("with a running export's partial file: %s", got)
	}
}

// Issue 8, defect 4: a temporary file of news_archive is not one of news.
func TestPartialNamesAreOwnedByOneDatabase(t *testing.T) {
	for _, tc := range []struct {
		db, name string
		want     bool
	}{
		{"news", ".news_20240101_000000.sql.123.partial", true},
		{"news", ".news_20240101_000000_2.sql.gz.99.partial", true},
		{"news", ".news_archive_20240101_000000.sql.123.partial", false},
		{"news_archive", ".news_archive_20240101_000000.sql.123.partial", true},
		{"news", ".news_20240101_000000.sql.partial", false},
		{"news", ".news_x.partial", false},
	} {
		if got := isPartial(tc.db, tc.name); got != tc.want {
			t.Errorf("isPartial(%q, %q) = %v", tc.db, tc.name, got)
		}
	}
}

// Issue 8, defect 7: a symlink planted as the lock file is not followed.
func TestLockDoesNotFollowSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := LockPath(dir, "news")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(context.Background(), trust.Current(), path, 0, "db:export of news")
	if err == nil {
		l.Release()
		t.Error("took a lock through a symlink")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the lock file: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Errorf("symlink target changed to %q", b)
	}
}

// Issue 8, defect 7: temporary dump files are created, never opened.
func TestCreatePartialIsExclusive(t *testing.T) {
	dir := t.TempDir()
	f, err := safefile.CreatePartial(filepath.Join(dir, "db_20240101_000000.sql"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := os.Lstat(f.Name())
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("partial file %s: %v %v", f.Name(), fi.Mode(), err)
	}
	if !isPartial("db", filepath.Base(f.Name())) {
		t.Errorf("%s is not recognised as a partial file of db", f.Name())
	}
}

// Issue 8, defect 8: a failed swap is summed up by psql's ERROR line, not
// by the CONTEXT lines after it.
func TestPsqlErrNamesTheErrorLine(t *testing.T) {
	var stderr bytes.Buffer
	stderr.WriteString(`psql:<stdin>:21: ERROR:  database "news__kompose_old_20240101_000000" already exists
CONTEXT:  SQL statement "ALTER DATABASE "news" RENAME TO "news__kompose_old_20240101_000000""
PL/pgSQL function inline_code_block line 10 at SQL statement
`)
	err := psqlErr(errors.New("exit status 3"), &stderr)
	if err == nil || !strings.Contains(err.Error(), `ERROR:  database "news__kompose_old_20240101_000000" already exists`) || strings.Contains(err.Error(), "PL/pgSQL") {
		t.Errorf("psqlErr = %v", err)
	}
}
