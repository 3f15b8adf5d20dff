package retention

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/settings"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

// kept lists the kept backups as "time: reasons", newest first.
func kept(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		if d.Keep {
			out = append(out, d.Time.Format(time.DateTime)+": "+d.Reason())
		}
	}
	return out
}

func TestApplyReasons(t *testing.T) {
	times := []time.Time{
		at("2026-12-01 03:00:00"), at("2026-12-04 03:00:00"), at("2026-12-04 15:00:00"),
		at("2026-12-03 03:00:00"), at("2026-11-29 03:00:00"), at("2026-10-31 03:00:00"),
	}
	got := kept(Apply(Policy{Last: 1, Daily: 3, Weekly: 2, Monthly: 2}, times, at("2027-06-01 00:00:00")))
	want := []string{
		"2026-12-04 15:00:00: keep last, daily 2026-12-04, weekly 2026-W49, monthly 2026-12",
		"2026-12-03 03:00:00: keep daily 2026-12-03",
		"2026-12-01 03:00:00: keep daily 2026-12-01",
		"2026-11-29 03:00:00: keep weekly 2026-W48, monthly 2026-11",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kept:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPeriodsCountFromNewest: a server off for a year still keeps seven
// daily backups; periods without a backup do not count.
func TestPeriodsCountFromNewest(t *testing.T) {
	var times []time.Time
	for i := 0; i < 20; i++ {
		times = append(times, at("2025-01-01 03:00:00").AddDate(0, 0, -2*i)) // every other day
	}
	ds := Apply(Policy{Daily: 7}, times, at("2026-01-01 00:00:00"))
	if n := len(kept(ds)); n != 7 {
		t.Fatalf("kept %d, want 7: %v", n, kept(ds))
	}
	if oldest := kept(ds)[6]; !strings.HasPrefix(oldest, "2024-12-20") {
		t.Errorf("the seventh kept is %s, want 2024-12-20 (12 days back: every other day)", oldest)
	}
}

func TestNewestAlwaysKept(t *testing.T) {
	times := []time.Time{at("2020-01-01 00:00:00"), at("2020-01-02 00:00:00")}
	ds := Apply(Policy{Within: time.Hour}, times, at("2026-01-01 00:00:00"))
	if got := kept(ds); len(got) != 1 || got[0] != "2020-01-02 00:00:00: keep newest" {
		t.Errorf("kept %v, want the newest alone", got)
	}
	if got := kept(Apply(Policy{}, times, times[0])); len(got) != 1 {
		t.Errorf("an empty policy kept %v, want the newest", got)
	}
	ds = Apply(Policy{Within: 72 * time.Hour, Last: 1}, []time.Time{at("2026-01-01 00:00:00"), at("2025-12-30 00:00:01"), at("2025-12-29 00:00:00")}, at("2026-01-02 00:00:00"))
	if got := kept(ds); len(got) != 2 || !strings.HasSuffix(got[1], "keep younger than 72h0m0s") {
		t.Errorf("within 72h kept %v", got)
	}
}

func TestCheck(t *testing.T) {
	if err := (Policy{}).Check(); !errors.Is(err, ErrKeepsNothing) {
		t.Errorf("empty policy: %v", err)
	}
	if err := (Policy{Daily: -1, Last: 3}).Check(); err == nil || !strings.Contains(err.Error(), "--keep-daily -1") {
		t.Errorf("negative: %v", err)
	}
	if err := (Policy{Yearly: 1}).Check(); err != nil {
		t.Errorf("yearly 1: %v", err)
	}
}

// reference is a second statement of the rules, written as the docs say
// them rather than as Apply walks: for each rule, the newest backup of
// each period, for the N newest periods that have one; the union of the
// rules; the newest always.
func reference(p Policy, times []time.Time) map[time.Time]bool {
	sorted := append([]time.Time(nil), times...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].After(sorted[b]) })
	keep := map[time.Time]bool{sorted[0]: true}
	for i := 0; i < p.Last && i < len(sorted); i++ {
		keep[sorted[i]] = true
	}
	keyOf := map[string]func(time.Time) string{
		"hourly":  func(t time.Time) string { return t.Format("2006-01-02T15") },
		"daily":   func(t time.Time) string { return t.Format("2006-01-02") },
		"weekly":  func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprint(y, "/", w) },
		"monthly": func(t time.Time) string { return t.Format("2006-01") },
		"yearly":  func(t time.Time) string { return t.Format("2006") },
	}
	for _, r := range p.Rules() {
		if r.Name == "last" || r.Count == 0 {
			continue
		}
		newest := map[string]time.Time{}
		var periods []string
		for _, t := range sorted {
			k := keyOf[r.Name](t)
			if _, ok := newest[k]; !ok {
				newest[k] = t
				periods = append(periods, k)
			}
		}
		for i := 0; i < r.Count && i < len(periods); i++ {
			keep[newest[periods[i]]] = true
		}
	}
	return keep
}

// TestYearsOfBackups compares Apply with the reference over five years
// of backups at random gaps (minutes to weeks) and many random policies.
func TestYearsOfBackups(t *testing.T) {
	r := rand.New(rand.NewSource(2026))
	var times []time.Time
	tm := at("2021-03-01 03:15:00")
	for tm.Before(at("2026-12-06 00:00:00")) {
		times = append(times, tm)
		gaps := []time.Duration{time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 21 * 24 * time.Hour}
		tm = tm.Add(time.Duration(1 + r.Int63n(int64(gaps[r.Intn(len(gaps))]))))
	}
	r.Shuffle(len(times), func(i, j int) { times[i], times[j] = times[j], times[i] })
	for i := 0; i < 300; i++ {
		n := func() int {
			if r.Intn(3) == 0 {
				return 0
			}
			return r.Intn(40)
		}
		p := Policy{Last: n(), Hourly: n(), Daily: n(), Weekly: n(), Monthly: n(), Yearly: n()}
		want := reference(p, times)
		got := map[time.Time]bool{}
		for _, d := range Apply(p, times, at("2027-01-01 00:00:00")) {
			if d.Keep {
				got[d.Time] = true
				if len(d.Reasons) == 0 {
					t.Fatalf("policy %s: %s kept without a reason", p, d.Time)
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("policy %s over %d backups: kept %d, want %d", p, len(times), len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("policy %s: %s not kept", p, k)
			}
		}
	}
}

func TestFlagsPolicy(t *testing.T) {
	vars := map[string]string{"KOMPOSE_KEEP_DAILY": "7", "KOMPOSE_KEEP_WEEKLY": "4", "KOMPOSE_KEEP_HOURLY": " "}
	lookup := func(name string) (string, string, bool) { v, ok := vars[name]; return v, "stack .env", ok }
	none := func(string) (string, string, bool) { return "", "", false }
	for _, tc := range []struct {
		args   []string
		lookup settings.Lookup
		want   Policy
		err    string
	}{
		{nil, none, Policy{Last: 1}, ""},
		{nil, lookup, Policy{Daily: 7, Weekly: 4}, ""},
		{[]string{"--keep-daily", "3"}, lookup, Policy{Daily: 3, Weekly: 4}, ""},
		{[]string{"--keep", "5"}, none, Policy{Last: 5}, ""},
		{[]string{"--keep-last", "2", "--keep-yearly", "10"}, none, Policy{Last: 2, Yearly: 10}, ""},
		{[]string{"--keep", "5", "--keep-last", "2"}, none, Policy{}, "give one of them"},
		{[]string{"--keep-monthly", "many"}, none, Policy{}, `--keep-monthly "many": expected a number of backups`},
		{[]string{"--keep-monthly", "-1"}, none, Policy{}, `--keep-monthly "-1"`},
		{nil, func(string) (string, string, bool) { return "x", "stack .env", true }, Policy{}, `KOMPOSE_KEEP_LAST="x" (stack .env)`},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := AddFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := f.Policy(tc.lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}
