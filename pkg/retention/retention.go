// Package retention decides which backups (database dumps, volume
// archives) a cleanup keeps: grandfather-father-son rules with restic's
// and borg's meaning, beside kompose's older "keep the newest N" and
// "keep anything younger than AGE".
//
// The backups are taken newest first. A rule "keep N per period" (hourly,
// daily, weekly, monthly, yearly) keeps the newest backup of each period
// that has one, for the N newest such periods; the periods are counted
// from the newest backup, not from now, so a server that was off for a
// month keeps as many as one that was not. "keep last N" keeps the N
// newest. Rules combine: a backup is kept when any rule keeps it, and
// each kept backup carries every reason it was kept ("daily 2026-12-04").
// The newest backup is always kept, and a policy that keeps nothing is
// refused ([Policy.Check]). Periods are calendar periods in the location
// of each time (weeks are ISO 8601 weeks), as restic counts them.
package retention

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Policy is a set of keep rules; a zero count means the rule is not used.
type Policy struct {
	Last, Hourly, Daily, Weekly, Monthly, Yearly int
	// Within keeps every backup younger than this at the time of the
	// cleanup (kompose's --older-than): measured from now, not from the
	// newest backup.
	Within time.Duration
}

// Rule is one keep rule: its name and how many periods it keeps.
type Rule struct {
	Name  string // last, hourly, daily, weekly, monthly, yearly
	Count int
}

// Rules lists the policy's count rules in a fixed order, unused ones too.
func (p Policy) Rules() []Rule {
	return []Rule{
		{"last", p.Last}, {"hourly", p.Hourly}, {"daily", p.Daily},
		{"weekly", p.Weekly}, {"monthly", p.Monthly}, {"yearly", p.Yearly},
	}
}

// Empty is whether no rule keeps anything.
func (p Policy) Empty() bool {
	for _, r := range p.Rules() {
		if r.Count > 0 {
			return false
		}
	}
	return p.Within <= 0
}

// ErrKeepsNothing is the refusal of a policy that would delete every
// backup.
var ErrKeepsNothing = errors.New("this policy keeps no backup at all; kompose never deletes every backup (give --keep-last 1 or more, or another --keep-* rule)")

// Check refuses a negative count and a policy that keeps nothing.
func (p Policy) Check() error {
	for _, r := range p.Rules() {
		if r.Count < 0 {
			return fmt.Errorf("--keep-%s %d: must not be negative", r.Name, r.Count)
		}
	}
	if p.Within < 0 {
		return fmt.Errorf("--older-than %s: must not be negative", p.Within)
	}
	if p.Empty() {
		return ErrKeepsNothing
	}
	return nil
}

// String says the policy in words, for the dry run: "last 3, daily 7,
// younger than 720h0m0s".
func (p Policy) String() string {
	var parts []string
	for _, r := range p.Rules() {
		if r.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r.Name, r.Count))
		}
	}
	if p.Within > 0 {
		parts = append(parts, "younger than "+p.Within.String())
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Decision is what a policy does with one backup.
type Decision struct {
	Index   int // its position in the slice given to Apply
	Time    time.Time
	Keep    bool
	Reasons []string // why it is kept: "last", "daily 2026-12-04", "newest", "younger than 72h0m0s"
}

// Reason joins the reasons for a line of the dry run: "keep daily
// 2026-12-04, weekly 2026-W49", or "remove".
func (d Decision) Reason() string {
	if !d.Keep {
		return "remove"
	}
	return "keep " + strings.Join(d.Reasons, ", ")
}

// period returns the key of the period t falls in for a rule, and how it
// is written in a reason; nr makes every backup its own period for "last".
func period(rule string, t time.Time, nr int) (int, string) {
	y, m, d := t.Date()
	switch rule {
	case "hourly":
		return ((y*100+int(m))*100+d)*100 + t.Hour(), fmt.Sprintf("%04d-%02d-%02d %02dh", y, m, d, t.Hour())
	case "daily":
		return (y*100+int(m))*100 + d, fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	case "weekly":
		wy, w := t.ISOWeek()
		return wy*100 + w, fmt.Sprintf("%04d-W%02d", wy, w)
	case "monthly":
		return y*100 + int(m), fmt.Sprintf("%04d-%02d", y, m)
	case "yearly":
		return y, fmt.Sprintf("%04d", y)
	}
	return nr, ""
}

// Apply decides, for each of times (in any order), whether p keeps it
// and why. The result is newest first; backups of the same time stay in
// the order given (give the newer of them first). now is the
// time of the cleanup, for Within. An empty policy keeps the newest only.
func Apply(p Policy, times []time.Time, now time.Time) []Decision {
	out := make([]Decision, len(times))
	for i, t := range times {
		out[i] = Decision{Index: i, Time: t}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.After(out[b].Time) })
	type bucket struct {
		rule  string
		left  int
		last  int
		found bool
	}
	var buckets []*bucket
	for _, r := range p.Rules() {
		if r.Count > 0 {
			buckets = append(buckets, &bucket{rule: r.Name, left: r.Count})
		}
	}
	for nr := range out {
		d := &out[nr]
		for _, b := range buckets {
			if b.left == 0 {
				continue
			}
			key, label := period(b.rule, d.Time, nr)
			if b.found && key == b.last {
				continue
			}
			b.found, b.last = true, key
			b.left--
			d.Keep = true
			d.Reasons = append(d.Reasons, strings.TrimSpace(b.rule+" "+label))
		}
		if p.Within > 0 && now.Sub(d.Time) < p.Within {
			d.Keep = true
			d.Reasons = append(d.Reasons, "younger than "+p.Within.String())
		}
	}
	if len(out) > 0 && !out[0].Keep {
		out[0].Keep = true
		out[0].Reasons = append(out[0].Reasons, "newest")
	}
	return out
}

// ResticArgs is the policy as the options of restic forget, so that an
// offsite repository keeps what the folder keeps: each count rule as
// --keep-<rule> N, Within as --keep-within in whole hours (rounded up).
// restic counts --keep-within from the newest snapshot, kompose's
// --older-than from now: for a repository that receives every backup the
// two agree.
func (p Policy) ResticArgs() []string {
	var out []string
	for _, r := range p.Rules() {
		if r.Count > 0 {
			out = append(out, "--keep-"+r.Name, strconv.Itoa(r.Count))
		}
	}
	if p.Within > 0 {
		out = append(out, "--keep-within", strconv.Itoa(int(math.Ceil(p.Within.Hours())))+"h")
	}
	return out
}
