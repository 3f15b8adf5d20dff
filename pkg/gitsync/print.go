package gitsync

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/kompose-dev/kompose/pkg/report/jsonout"
)

// KindSync is the kind of sync's JSON document (docs/json.md).
const KindSync = "sync"

// Doc is sync's JSON document.
type Doc struct {
	jsonout.Header
	DryRun   bool          `json:"dry_run"`
	Rollback bool          `json:"rollback"`
	Branch   string        `json:"branch"`
	Upstream string        `json:"upstream"`
	Fetched  bool          `json:"fetched"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	Note     string        `json:"note,omitempty"`
	Commits  []Commit      `json:"commits"`
	Up       []StackChange `json:"up"`
	Removed  []StackChange `json:"removed"`
	// Remove: the removed stacks are taken down (--remove).
	Remove bool `json:"remove"`
}

// Doc returns s as its JSON document; mask hides secret values.
func (s *Sync) Doc(mask func(string) string) Doc {
	d := Doc{Header: jsonout.NewHeader(KindSync), DryRun: s.Options.DryRun, Rollback: s.Options.Rollback,
		Branch: s.Repo.Branch, Upstream: strings.TrimPrefix(s.Repo.Upstream, "refs/remotes/"), Fetched: s.Fetched,
		From: s.From, To: s.To, Note: s.Note, Commits: []Commit{}, Up: []StackChange{}, Removed: []StackChange{}, Remove: s.Options.Remove}
	for _, c := range s.Commits {
		c.Subject, c.Author = mask(c.Subject), mask(c.Author)
		d.Commits = append(d.Commits, c)
	}
	d.Up = append(d.Up, s.Up...)
	d.Removed = append(d.Removed, s.Removed...)
	return d
}

// Printable is s with every control character (an escape sequence, a
// carriage return, a newline) written as its Go escape (\x1b, \r):
// commit subjects, authors, file and folder names come from the upstream,
// and printed raw they could rewrite a terminal or forge a log line.
func Printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// why says in words why a stack comes up.
func why(c StackChange) string {
	files := make([]string, len(c.Files))
	for i, f := range c.Files {
		files[i] = Printable(f)
	}
	switch c.Why {
	case "root":
		return "the root's .env or hooks/ changed"
	case "retry":
		return "its last up failed, retried"
	case "new":
		return "new: " + strings.Join(files, ", ")
	}
	return strings.Join(files, ", ")
}

// Print writes what s does for people; mask hides secret values.
func (s *Sync) Print(w io.Writer, mask func(string) string) {
	verb := "sync"
	if s.Options.Rollback {
		verb = "sync --rollback"
	}
	fetched := ""
	if !s.Fetched && !s.Options.Rollback {
		fetched = " (not fetched: --fetch)"
	}
	fmt.Fprintf(w, "%s: %s, branch %s following %s%s\n", verb, s.Repo.WorkTree, s.Repo.Branch, strings.TrimPrefix(s.Repo.Upstream, "refs/remotes/"), fetched)
	switch {
	case s.Note != "":
		fmt.Fprintf(w, "  %s\n", s.Note)
	case s.From == s.To:
		fmt.Fprintf(w, "  at %s, up to date\n", short(s.To))
	case s.Options.Rollback:
		fmt.Fprintf(w, "  %s -> %s, undoing %d commit(s):\n", short(s.From), short(s.To), len(s.Commits))
	default:
		fmt.Fprintf(w, "  %s -> %s, %d commit(s):\n", short(s.From), short(s.To), len(s.Commits))
	}
	for _, c := range s.Commits {
		fmt.Fprintf(w, "    %s %s (%s)\n", short(c.ID), mask(c.Subject), mask(c.Author))
	}
	if len(s.Up) == 0 {
		fmt.Fprintf(w, "  no stack to bring up\n")
	}
	for _, c := range s.Up {
		fmt.Fprintf(w, "  up -d %s: %s\n", Printable(c.Name), why(c))
	}
	for _, c := range s.Removed {
		if s.Options.Remove {
			fmt.Fprintf(w, "  down %s: removed upstream\n", Printable(c.Name))
		} else {
			fmt.Fprintf(w, "  removed upstream: %s (still running; take it down with kompose sync --remove)\n", Printable(c.Name))
		}
	}
}

// UpNames are the names of the stacks s brings up.
func (s *Sync) UpNames() []string {
	out := make([]string, len(s.Up))
	for i, c := range s.Up {
		out[i] = c.Name
	}
	return out
}

// RemovedNames are the names of the stacks removed upstream.
func (s *Sync) RemovedNames() []string {
	out := make([]string, len(s.Removed))
	for i, c := range s.Removed {
		out[i] = c.Name
	}
	return out
}
