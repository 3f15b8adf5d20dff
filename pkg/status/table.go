package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
)

// Table writes rows as a table for people, one line per stack:
//
//	STACK  STATE          HEALTH       ENGINE   LAST DUMP                    LAST ARCHIVES                  UPDATES
//	blog   running 2/2    1 healthy    default  mariadb: 3h12m ago, 1.2 MB   3h10m ago, 2 volumes, 1.4 GB  1 available (2h00m ago)
//
// The archives' age is that of the oldest of the volumes' newest
// archives: the volume backed up longest ago. size and age format sizes
// and ages (db.HumanSize, db.HumanAge).
func Table(w io.Writer, st output.Style, rows []Row, now time.Time, size func(int64) string, age func(time.Duration) string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tSTATE\tHEALTH\tENGINE\tLAST DUMP\tLAST ARCHIVES\tUPDATES")
	for _, r := range rows {
		state := r.State
		if r.State == Running || r.State == Partial || r.State == Stopped || r.State == Degraded {
			state = fmt.Sprintf("%s %d/%d", r.State, r.Running, r.Containers)
		}
		eng := r.Engine
		if r.Deploy != "" {
			eng += " (" + r.Deploy + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Stack, paint(st, r, state), health(r), eng, dump(r, now, size, age), archives(r, now, size, age), updates(r, now, age))
	}
	return tw.Flush()
}

// paint colours a state (tabwriter counts the escape codes as text, so
// every cell of a column gets the same number of them or none).
func paint(st output.Style, r Row, s string) string {
	switch {
	case r.OK():
		return st.Green(s)
	case r.State == Partial || r.State == Running || r.State == Degraded:
		return st.Yellow(s)
	}
	return st.Red(s)
}

func health(r Row) string {
	var parts []string
	if r.Healthy > 0 {
		parts = append(parts, fmt.Sprintf("%d healthy", r.Healthy))
	}
	if r.Unhealthy > 0 {
		parts = append(parts, fmt.Sprintf("%d unhealthy", r.Unhealthy))
	}
	if r.Starting > 0 {
		parts = append(parts, fmt.Sprintf("%d starting", r.Starting))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// dump is the LAST DUMP cell: the database engine when known
// ("mariadb: "), then the newest dump's age and size and the last drill.
func dump(r Row, now time.Time, size func(int64) string, age func(time.Duration) string) string {
	if !r.DB {
		return "-"
	}
	eng := ""
	if r.DBEngine != "" {
		eng = r.DBEngine + ": "
	}
	switch {
	case r.DumpErr != nil:
		return eng + "error (see stderr)"
	case r.Dump == nil:
		return eng + "none"
	}
	cell := eng + fmt.Sprintf("%s ago, %s", age(now.Sub(r.Dump.Time)), size(r.Dump.Size))
	if !r.Dump.Verified.IsZero() {
		cell += fmt.Sprintf(", verified %s ago", age(now.Sub(r.Dump.Verified)))
	}
	return cell
}

func archives(r Row, now time.Time, size func(int64) string, age func(time.Duration) string) string {
	switch {
	case r.ArchiveErr != nil:
		return "error (see stderr)"
	case len(r.Archives) == 0:
		return "-"
	}
	oldest := r.Archives[0].Time
	var total int64
	for _, a := range r.Archives {
		if a.Time.Before(oldest) {
			oldest = a.Time
		}
		total += a.Size
	}
	n := fmt.Sprintf("%d volumes", len(r.Archives))
	if len(r.Archives) == 1 {
		n = r.Archives[0].Volume
	}
	cell := fmt.Sprintf("%s ago, %s, %s", age(now.Sub(oldest)), n, size(total))
	// The oldest verification, when every volume has one.
	var verified time.Time
	for _, a := range r.Archives {
		if a.Verified.IsZero() {
			return cell
		}
		if verified.IsZero() || a.Verified.Before(verified) {
			verified = a.Verified
		}
	}
	return cell + fmt.Sprintf(", verified %s ago", age(now.Sub(verified)))
}

// updates is the UPDATES cell: what the last update --check found, and
// when; "-" when the stack was never checked.
func updates(r Row, now time.Time, age func(time.Duration) string) string {
	u := r.Updates
	switch {
	case r.UpdatesErr != nil:
		return "error (see stderr)"
	case u == nil:
		return "-"
	}
	var what []string
	if u.Available > 0 {
		what = append(what, fmt.Sprintf("%d available", u.Available))
	}
	if u.Failed > 0 {
		what = append(what, fmt.Sprintf("%d not checked", u.Failed))
	}
	if len(what) == 0 {
		what = append(what, "up to date")
	}
	return fmt.Sprintf("%s (%s ago)", strings.Join(what, ", "), age(now.Sub(u.Time)))
}
