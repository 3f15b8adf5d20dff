package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// needRestic skips the test when restic is missing, unless
// KOMPOSE_REQUIRE_ALL=1, where it fails.
func needRestic(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("restic")
	if err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("restic is required (KOMPOSE_REQUIRE_ALL=1) but not installed")
		}
		t.Skip("restic is not installed")
	}
	return p
}

// resticTimes are the dates of the comparison: three years of backups
// at irregular gaps (an hour to three weeks), several on one day and in
// one hour, across year ends where ISO weeks belong to the other year
// (2026-12-31 is in 2026-W53, 2027-01-01 too).
func resticTimes() []time.Time {
	fixed := []string{
		"2024-12-30 23:59:59", "2024-12-31 00:00:01", "2025-01-01 00:00:00",
		"2026-12-28 03:15:00", "2026-12-31 22:00:00", "2027-01-01 01:00:00",
		"2027-01-03 23:00:00", "2027-01-04 00:30:00",
		"2027-03-10 03:15:00", "2027-03-10 03:45:00", "2027-03-10 04:10:00",
		"2027-03-10 18:00:00", "2027-03-11 03:15:00", "2027-03-12 03:15:00",
	}
	var out []time.Time
	for _, s := range fixed {
		t, err := time.ParseInLocation(time.DateTime, s, time.UTC)
		if err != nil {
			panic(err)
		}
		out = append(out, t)
	}
	r := rand.New(rand.NewSource(21))
	t := time.Date(2024, 6, 1, 3, 15, 0, 0, time.UTC)
	for i := 0; i < 26; i++ {
		t = t.Add(time.Duration(1+r.Intn(21*24)) * time.Hour)
		out = append(out, t)
	}
	return out
}

// resticRepo makes a throwaway restic repository with one snapshot at
// each of times (restic backup --time), two processes at a time.
func resticRepo(t *testing.T, restic string, times []time.Time) []string {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), "RESTIC_PASSWORD=k21-retention", "RESTIC_REPOSITORY="+filepath.Join(dir, "repo"),
		"RESTIC_CACHE_DIR="+filepath.Join(dir, "cache"), "TZ=UTC")
	run := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, restic, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("restic %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return out, nil
	}
	if _, err := run("init", "-q"); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte("k21"), 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(times))
	sem := make(chan struct{}, 2)
	for _, tm := range times {
		wg.Add(1)
		go func(tm time.Time) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := run("backup", "-q", "--host", "k21", "--time", tm.UTC().Format(time.DateTime), data)
			errs <- err
		}(tm)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// resticKeeps asks restic which of the repository's snapshots a policy
// keeps, and why: time (RFC 3339, UTC) -> the rules that matched.
func resticKeeps(t *testing.T, restic string, env []string, p Policy) map[string][]string {
	t.Helper()
	args := []string{"forget", "--dry-run", "--json"}
	for _, r := range p.Rules() {
		if r.Count > 0 {
			args = append(args, fmt.Sprintf("--keep-%s", r.Name), fmt.Sprint(r.Count))
		}
	}
	cmd := exec.Command(restic, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("restic %v: %v: %s", args, err, stderr.String())
	}
	type snap struct {
		Time time.Time `json:"time"`
	}
	var groups []struct {
		Keep    []snap `json:"keep"`
		Reasons []struct {
			Snapshot snap     `json:"snapshot"`
			Matches  []string `json:"matches"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal(out, &groups); err != nil {
		t.Fatalf("restic's JSON: %v: %s", err, out)
	}
	if len(groups) != 1 {
		t.Fatalf("restic: %d groups, want 1", len(groups))
	}
	keep := map[string][]string{}
	for _, s := range groups[0].Keep {
		keep[s.Time.UTC().Format(time.RFC3339)] = nil
	}
	for _, r := range groups[0].Reasons {
		var rules []string
		for _, m := range r.Matches {
			// "daily snapshot" -> "daily"; "last snapshot" -> "last"
			rules = append(rules, strings.TrimSuffix(m, " snapshot"))
		}
		keep[r.Snapshot.Time.UTC().Format(time.RFC3339)] = rules
	}
	return keep
}

// TestSameAsRestic checks Apply's keep set, and the rules behind each
// kept backup, against restic forget --dry-run on the same dates.
func TestSameAsRestic(t *testing.T) {
	restic := needRestic(t)
	times := resticTimes()
	env := resticRepo(t, restic, times)
	policies := []Policy{
		{Last: 1},
		{Last: 5},
		{Daily: 7},
		{Hourly: 6},
		{Weekly: 4},
		{Weekly: 60},
		{Monthly: 12},
		{Yearly: 10},
		{Daily: 7, Weekly: 4, Monthly: 12, Yearly: 3},
		{Last: 3, Hourly: 3, Daily: 3},
		{Last: 2, Weekly: 2, Yearly: 1},
		{Daily: 100, Monthly: 100},
	}
	for _, p := range policies {
		t.Run(strings.ReplaceAll(p.String(), " ", ""), func(t *testing.T) {
			want := resticKeeps(t, restic, env, p)
			got := map[string][]string{}
			for _, d := range Apply(p, times, times[0]) {
				if d.Keep {
					var rules []string
					for _, r := range d.Reasons {
						rule, _, _ := strings.Cut(r, " ")
						rules = append(rules, rule)
					}
					got[d.Time.UTC().Format(time.RFC3339)] = rules
				}
			}
			if !sameKeeps(got, want) {
				t.Errorf("policy %s:\nkompose keeps %s\nrestic keeps  %s", p, show(got), show(want))
			}
		})
	}
}

func sameKeeps(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || strings.Join(v, ",") != strings.Join(w, ",") {
			return false
		}
	}
	return true
}

func show(m map[string][]string) string {
	var keys []string
	for k, v := range m {
		keys = append(keys, k+"["+strings.Join(v, ",")+"]")
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}
