package gitsync

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// StateName is the file, in the repository's .git folder (outside the
// work tree, never tracked), that records what sync deployed.
const StateName = "kompose-sync.json"

// LockName is the lock two syncs of one repository take.
const LockName = "kompose-sync.lock"

// State is what sync deployed.
type State struct {
	Version int `json:"version"`
	// Head is the commit the work tree was last synced to; Previous the
	// one before it (what --rollback returns to).
	Head     string `json:"head,omitempty"`
	Previous string `json:"previous,omitempty"`
	// RolledBack is the commit a --rollback left; sync does not deploy it
	// again until the upstream moves on.
	RolledBack string `json:"rolled_back,omitempty"`
	// Stacks maps each stack to its deployment.
	Stacks map[string]Deployed `json:"stacks"`
}

// Deployed is one stack's last deployment.
type Deployed struct {
	// Commit is the commit the stack last came up from.
	Commit string `json:"commit"`
	// Failed: the last up (of a later commit) failed; the stack is
	// retried by the next sync.
	Failed bool      `json:"failed,omitempty"`
	At     time.Time `json:"at"`
}

// StatePath is the state file of r.
func (r *Repo) StatePath() string { return filepath.Join(r.GitDir, StateName) }

// LockPath is the lock file of r's syncs.
func (r *Repo) LockPath() string { return filepath.Join(r.GitDir, LockName) }

// LoadState reads r's state file (without following a symlink; it must
// pass pol's trust rule); a missing file is an empty state.
func (r *Repo) LoadState(pol trust.Policy) (*State, error) {
	st := &State{Version: 1, Stacks: map[string]Deployed{}}
	f, err := safefile.OpenReadBack(trust.NewTree(pol), "read sync's record from", r.StatePath())
	if err != nil || f == nil {
		return st, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.StatePath(), err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s: not sync's record: %w (remove it to start over: every stack counts as deployed from the work tree's commit)", r.StatePath(), err)
	}
	if st.Stacks == nil {
		st.Stacks = map[string]Deployed{}
	}
	return st, nil
}

// SaveState writes st atomically (a new file renamed over the old one,
// never through a symlink), readable and writable by the invoking user
// alone.
func (r *Repo) SaveState(st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(r.StatePath(), append(data, '\n'), 0o600)
}

// Deployments returns the deployed commit of every stack and the stacks
// whose last up failed.
func (st *State) Deployments() (map[string]string, map[string]bool) {
	dep, failed := map[string]string{}, map[string]bool{}
	for n, d := range st.Stacks {
		dep[n] = d.Commit
		if d.Failed {
			failed[n] = true
		}
	}
	return dep, failed
}
