package gitsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/lock"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Options are sync's own options (after the command: kompose sync
// [--fetch] [--remove] [--verify] [--allowed-signers FILE] [--rollback]).
type Options struct {
	DryRun bool
	// Fetch: a dry run fetches only when asked; a real run always does.
	Fetch    bool
	Remove   bool
	Rollback bool
	// Verify (--verify, KOMPOSE_GIT_VERIFY=1) deploys only commits signed
	// by a key of Signers (--allowed-signers, KOMPOSE_GIT_ALLOWED_SIGNERS).
	Verify  bool
	Signers string
	Policy  trust.Policy
}

// ParseArgs parses sync's arguments; environ is kompose's own process
// environment (KOMPOSE_GIT_VERIFY, KOMPOSE_GIT_ALLOWED_SIGNERS: a .env
// must not turn verification off). Its errors are usage errors.
func ParseArgs(args []string, environ []string) (Options, error) {
	var o Options
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "KOMPOSE_GIT_VERIFY":
			switch strings.TrimSpace(v) {
			case "1", "true", "yes":
				o.Verify = true
			case "", "0", "false", "no":
			default:
				return o, fmt.Errorf("KOMPOSE_GIT_VERIFY=%q (process): not 1 or 0", v)
			}
		case "KOMPOSE_GIT_ALLOWED_SIGNERS":
			o.Signers = v
		}
	}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--fetch":
			o.Fetch = true
		case a == "--remove":
			o.Remove = true
		case a == "--rollback":
			o.Rollback = true
		case a == "--verify":
			o.Verify = true
		case a == "--allowed-signers" && i+1 < len(args):
			i++
			o.Signers = args[i]
		case strings.HasPrefix(a, "--allowed-signers="):
			o.Signers = strings.TrimPrefix(a, "--allowed-signers=")
		default:
			return o, fmt.Errorf("sync: unknown argument %q (sync takes --fetch, --remove, --verify, --allowed-signers FILE, --rollback, --json)", a)
		}
	}
	if o.Rollback && o.Remove {
		return o, fmt.Errorf("sync: --rollback and --remove: a rollback only brings stacks back up")
	}
	return o, nil
}

// Sync is what one sync does: the commits it moves the work tree across
// and the stacks it brings up or down.
type Sync struct {
	Repo    *Repo
	Options Options
	// From is the work tree's commit before the sync, To the one after.
	From, To string
	// Commits are the commits between From and To (newest first; for a
	// rollback, the ones undone).
	Commits []Commit
	Fetched bool
	// Up are the stacks to bring up (up -d) at To, Removed the stacks
	// removed since they were deployed.
	Up, Removed []StackChange
	// Note says why nothing moves, when nothing does.
	Note  string
	state *State
}

// NotFastForwardError is a work tree whose branch has commits its
// upstream does not.
type NotFastForwardError struct {
	Branch, Upstream string
	Local            []Commit
}

func (e *NotFastForwardError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "branch %s has %d commit(s) that %s does not; sync only fast-forwards:", e.Branch, len(e.Local), e.Upstream)
	for i, c := range e.Local {
		if i == 10 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Local)-10)
			break
		}
		fmt.Fprintf(&b, "\n  %s %s (%s)", short(c.ID), c.Subject, c.Author)
	}
	b.WriteString("\n(push them upstream, or drop them: git reset --keep " + e.Upstream + ")")
	return b.String()
}

// DirtyError is a work tree with changes of its own.
type DirtyError struct {
	WorkTree string
	Files    []string
}

func (e *DirtyError) Error() string {
	var files []string
	for _, f := range e.Files {
		files = append(files, Printable(f))
	}
	more := ""
	if len(files) > 10 {
		more = fmt.Sprintf(" … and %d more", len(files)-10)
		files = files[:10]
	}
	return fmt.Sprintf("%s has local changes: %s%s; sync refuses to move a work tree with changes of its own (commit and push them, or git checkout/git clean them)",
		e.WorkTree, strings.Join(files, ", "), more)
}

// Lock takes the lock of r's syncs: one sync of a repository at a time.
func (r *Repo) Lock(ctx context.Context, timeout time.Duration) (*lock.Lock, error) {
	return lock.Acquire(ctx, r.LockPath(), timeout, "kompose sync")
}

// Prepare finds what a sync does, changing nothing but the remote-tracking
// branch (the fetch, skipped by a dry run without Fetch). It refuses a
// work tree with local changes, a branch that is not behind its upstream,
// and, with Verify, any commit between the work tree's and the upstream's
// that is not signed by an allowed signer.
func Prepare(ctx context.Context, r *Repo, o Options) (*Sync, error) {
	st, err := r.LoadState(o.Policy)
	if err != nil {
		return nil, err
	}
	s := &Sync{Repo: r, Options: o, state: st}
	if s.From, err = r.Rev(ctx, "HEAD"); err != nil {
		return nil, err
	}
	dirty, err := r.Dirty(ctx)
	if err != nil {
		return nil, err
	}
	if len(dirty) > 0 {
		return nil, &DirtyError{WorkTree: r.WorkTree, Files: dirty}
	}
	if o.Rollback {
		err = s.prepareRollback(ctx)
	} else {
		err = s.prepareForward(ctx)
	}
	if err != nil {
		return nil, err
	}
	dep, failed := st.Deployments()
	s.Up, s.Removed, err = r.Changes(ctx, s.From, s.To, dep, failed)
	return s, err
}

func (s *Sync) prepareForward(ctx context.Context) error {
	r, o := s.Repo, s.Options
	if !o.DryRun || o.Fetch {
		if err := r.Fetch(ctx); err != nil {
			return err
		}
		s.Fetched = true
	}
	up, err := r.Rev(ctx, r.Upstream)
	if err != nil {
		return err
	}
	ok, err := r.IsAncestor(ctx, s.From, up)
	if err != nil {
		return err
	}
	if !ok {
		local, err := r.Commits(ctx, up, s.From)
		if err != nil {
			return err
		}
		return &NotFastForwardError{Branch: r.Branch, Upstream: strings.TrimPrefix(r.Upstream, "refs/remotes/"), Local: local}
	}
	s.To = up
	if up != s.From && up == s.state.RolledBack {
		s.To, s.Note = s.From, fmt.Sprintf("the upstream is still at %s, which sync --rollback left: nothing is deployed until it moves on", short(up))
		return nil
	}
	if s.Commits, err = r.Commits(ctx, s.From, s.To); err != nil {
		return err
	}
	if o.Verify {
		since, err := s.sinceDeployed(ctx)
		if err != nil {
			return err
		}
		return r.Verify(ctx, append(append([]Commit(nil), s.Commits...), since...), o.Signers, o.Policy)
	}
	return nil
}

// sinceDeployed are the commits the work tree moved across without sync
// (a "git pull" by hand) since the commit sync last recorded: the stacks
// they changed come up with this sync, so --verify checks them too. When
// the recorded commit is not below the work tree's, the work tree's own
// commit is checked.
func (s *Sync) sinceDeployed(ctx context.Context) ([]Commit, error) {
	h := s.state.Head
	if h == "" || h == s.From {
		return nil, nil
	}
	if ok, err := s.Repo.IsAncestor(ctx, h, s.From); err != nil || !ok {
		return []Commit{{ID: s.From, Subject: "(the work tree's commit, which sync did not deploy)"}}, err
	}
	return s.Repo.Commits(ctx, h, s.From)
}

func (s *Sync) prepareRollback(ctx context.Context) error {
	r, o := s.Repo, s.Options
	prev := s.state.Previous
	if prev == "" || s.state.Head != s.From {
		return fmt.Errorf("sync --rollback: no previous deployment recorded for the work tree's commit %s in %s", short(s.From), r.StatePath())
	}
	if _, err := r.Rev(ctx, prev); err != nil {
		return fmt.Errorf("sync --rollback: the previously deployed commit %s is gone from the repository", short(prev))
	}
	s.To = prev
	var err error
	if s.Commits, err = r.Commits(ctx, s.To, s.From); err != nil {
		return err
	}
	if o.Verify { // the commit returned to must still be one an allowed signer signed
		return r.Verify(ctx, []Commit{{ID: prev, Subject: "(rollback target)"}}, o.Signers, o.Policy)
	}
	return nil
}

// Apply moves the work tree to To (a fast-forward, or for a rollback a
// git reset --keep) and records it.
func (s *Sync) Apply(ctx context.Context) error {
	if s.To != s.From {
		var err error
		if s.Options.Rollback {
			err = s.Repo.ResetTo(ctx, s.To)
		} else {
			err = s.Repo.FastForward(ctx, s.To)
		}
		if err != nil {
			return err
		}
		s.state.Previous, s.state.Head = s.From, s.To
		s.state.RolledBack = ""
		if s.Options.Rollback {
			s.state.RolledBack = s.From
		}
	}
	if s.state.Head == "" {
		s.state.Head = s.To
	}
	return s.Repo.SaveState(s.state)
}

// Record writes what the run did: a stack that came up (ok[name]) is
// deployed from To; one that did not stays deployed from its old commit,
// marked failed, and is retried by the next sync; stacks nothing changed
// are deployed from To too. Removed stacks taken down (down[name]) are
// forgotten.
func (s *Sync) Record(now time.Time, present []string, ok, down map[string]bool) error {
	pending := map[string]bool{}
	for _, c := range s.Up {
		pending[c.Name] = true
		if ok[c.Name] {
			s.state.Stacks[c.Name] = Deployed{Commit: s.To, At: now}
			continue
		}
		d := s.state.Stacks[c.Name]
		if d.Commit == "" {
			d.Commit = s.From
		}
		d.Failed, d.At = true, now
		s.state.Stacks[c.Name] = d
	}
	for _, n := range present {
		if d, known := s.state.Stacks[n]; !pending[n] && (!known || !d.Failed) {
			s.state.Stacks[n] = Deployed{Commit: s.To, At: now}
		}
	}
	for _, c := range s.Removed {
		if down[c.Name] {
			delete(s.state.Stacks, c.Name)
		} else if _, known := s.state.Stacks[c.Name]; !known {
			s.state.Stacks[c.Name] = Deployed{Commit: c.From, At: now}
		}
	}
	return s.Repo.SaveState(s.state)
}
