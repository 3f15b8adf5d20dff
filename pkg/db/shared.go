package db

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Checks returns the checks of the whole root the database commands need
// before any stack runs ([plan.Builder.Checks]).
func Checks() map[string]plan.RootCheck {
	return map[string]plan.RootCheck{
		"db:export": checkShared, "db:import": checkShared,
		"db:cleanup": checkShared, "db:list": checkShared,
	}
}

// checkShared refuses a run in which a selected stack keeps dumps of a
// database in the same folder as another stack of the root (selected or
// not) keeps dumps of a database of the same name: neither could tell its
// dumps from the other's, so one's cleanup would delete the other's dumps
// and one's import would load the other's. Folders are compared by what
// they are (device and inode, [folderID]), not by their names. A stack whose .env cannot be read, or is
// refused by the trust rule, is left out here; it fails on its own when
// selected.
func checkShared(req plan.Request, _ *env.Env, selected []stack.Stack, tree *trust.Tree) error {
	f := req.Fleet
	if f == nil { // a request not made by plan.Build
		all := req.All
		if all == nil {
			all = selected
		}
		pol := tree.Policy
		f = fleet.New(fleet.Options{Root: req.Root, Environ: req.Environ, Network: req.Network,
			Overrides: req.Overrides, Context: req.Context, Policy: &pol}, all)
	}
	all := f.All()
	chosen := map[string]bool{}
	for _, s := range selected {
		chosen[s.Dir] = true
	}
	type key struct {
		dir folderID
		db  string
	}
	owners := map[key][]string{}
	shown := map[key]string{}
	var order []key
	for _, st := range all {
		m := f.Stack(st)
		if m.Err != nil {
			continue
		}
		cfg, ok, err := ConfigFrom(m.Env, st.Dir)
		if !ok || err != nil {
			continue
		}
		id, name := dumpFolder(cfg.DumpDir)
		k := key{id, cfg.Name}
		if _, seen := owners[k]; !seen {
			order = append(order, k)
			shown[k] = name
		}
		owners[k] = append(owners[k], st.Name)
	}
	var problems []string
	for _, k := range order {
		names := owners[k]
		if len(names) < 2 {
			continue
		}
		involved := false
		for _, st := range all {
			if chosen[st.Dir] && contains(names, st.Name) {
				involved = true
			}
		}
		if involved {
			problems = append(problems, fmt.Sprintf("stacks %s both keep dumps of %s in %s; give one of them its own %s (or %s)", joinAnd(names), k.db, shown[k], VarDumpDir, VarName))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s; nothing was run", strings.Join(problems, "; "))
	}
	return nil
}

// folderID says which folder a dump folder is, whatever name reaches it:
// the device and inode of the nearest folder that exists (dir itself, or
// the part of it that exists), and the names below it not created yet.
// Two names of one folder — a symlink, a bind mount, two mounts of one
// NFS export, another letter case on a case-insensitive share — give one
// folderID.
type folderID struct {
	dev, ino uint64
	rest     string // below the existing folder, "" when dir exists
}

// dumpFolder returns dir's folderID and the name to show for it (its real
// path). A folder that cannot be looked at (no permission) is known by its
// absolute path only.
func dumpFolder(dir string) (folderID, string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	rest := ""
	for d := abs; ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		err := syscall.Stat(d, &st)
		if err == nil {
			shown := d
			if real, err := filepath.EvalSymlinks(d); err == nil {
				shown = real
			}
			return folderID{dev: uint64(st.Dev), ino: st.Ino, rest: rest}, filepath.Join(shown, rest)
		}
		if !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			return folderID{rest: abs}, abs
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// joinAnd is "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
