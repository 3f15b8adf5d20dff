package retention

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/kompose-dev/kompose/pkg/settings"
)

// VarPrefix names the variables of a stack's policy: KOMPOSE_KEEP_LAST,
// KOMPOSE_KEEP_HOURLY, … KOMPOSE_KEEP_YEARLY, read from the stack's
// merged environment (its .env), so that one cron line serves stacks
// with different needs.
const VarPrefix = "KOMPOSE_KEEP_"

// FlagsHelp is the options' line for a command's help.
const FlagsHelp = "--keep-last N (--keep N), --keep-hourly N, --keep-daily N, --keep-weekly N, --keep-monthly N, --keep-yearly N"

// Flags are a cleanup command's keep options as parsed.
type Flags struct {
	fs   *flag.FlagSet
	vals map[string]*string
	keep *string // --keep, the old spelling of --keep-last
}

// AddFlags adds --keep-last (and its old spelling --keep), --keep-hourly,
// --keep-daily, --keep-weekly, --keep-monthly and --keep-yearly to fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, vals: map[string]*string{}}
	for _, r := range (Policy{}).Rules() {
		f.vals[r.Name] = fs.String("keep-"+r.Name, "", "")
	}
	f.keep = fs.String("keep", "", "")
	return f
}

func (f *Flags) isSet(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// Policy resolves the policy after parsing, rule by rule: the option
// when given, else the stack's KOMPOSE_KEEP_* variable (lookup), else
// unused. When no rule is given anywhere the policy is "keep the newest
// one" (db:cleanup's default since kompose.sh). A bad value is named
// with where it came from; a policy that keeps nothing is refused.
func (f *Flags) Policy(lookup settings.Lookup) (Policy, error) {
	if f.isSet("keep") && f.isSet("keep-last") {
		return Policy{}, errors.New("--keep and --keep-last: give one of them (--keep is the old name of --keep-last)")
	}
	counts := map[string]int{}
	any := false
	for _, r := range (Policy{}).Rules() {
		fl := settings.Flag{Name: "--keep-" + r.Name, Set: f.isSet("keep-" + r.Name), Value: *f.vals[r.Name]}
		if r.Name == "last" && f.isSet("keep") {
			fl = settings.Flag{Name: "--keep", Set: true, Value: *f.keep}
		}
		s := settings.Setting{Flag: fl, Var: VarPrefix + upper(r.Name), Lookup: lookup}
		if _, _, ok := s.Raw(); !ok {
			continue
		}
		n, err := s.Int(0, 0, "a number of backups")
		if err != nil {
			return Policy{}, err
		}
		counts[r.Name] = n
		any = true
	}
	if !any {
		return Policy{Last: 1}, nil
	}
	p := Policy{Last: counts["last"], Hourly: counts["hourly"], Daily: counts["daily"],
		Weekly: counts["weekly"], Monthly: counts["monthly"], Yearly: counts["yearly"]}
	return p, nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// MaxAge is the longest --older-than kompose accepts: 100 years. Anything
// longer is a typo (or an overflow) that would silently keep every backup.
const MaxAge = 36500 * 24 * time.Hour

// ageRE is the form of an age in days or weeks: digits, an optional
// fraction, the unit. No sign, exponent, hex, "inf" or "NaN".
var ageRE = regexp.MustCompile(`^([0-9]{1,6})(\.[0-9]{1,6})?([dw])$`)

// ParseAge parses an age (--older-than): a number of days (30d) or weeks
// (2w), or a Go duration (12h, 90m). It must be positive and at most
// [MaxAge].
func ParseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("expected a positive number of days (30d), weeks (2w) or a duration (12h), at most 36500d")
	var d time.Duration
	if m := ageRE.FindStringSubmatch(s); m != nil {
		v, err := strconv.ParseFloat(m[1]+m[2], 64)
		unit := 24 * time.Hour
		if m[3] == "w" {
			unit *= 7
		}
		if err != nil || v <= 0 || v*float64(unit) > float64(MaxAge) {
			return 0, bad
		}
		d = time.Duration(v * float64(unit))
	} else {
		if s == "" || s[0] < '0' || s[0] > '9' {
			return 0, bad
		}
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 || d > MaxAge {
		return 0, bad
	}
	return d, nil
}

// Given reports whether any keep rule was given, as an option or as the
// stack's KOMPOSE_KEEP_* variable (lookup); without one, [Flags.Policy]
// is the default "keep the newest one".
func (f *Flags) Given(lookup settings.Lookup) bool {
	if f.isSet("keep") {
		return true
	}
	for _, r := range (Policy{}).Rules() {
		s := settings.Setting{Flag: settings.Flag{Name: "--keep-" + r.Name, Set: f.isSet("keep-" + r.Name), Value: *f.vals[r.Name]},
			Var: VarPrefix + upper(r.Name), Lookup: lookup}
		if _, _, ok := s.Raw(); ok {
			return true
		}
	}
	return false
}
