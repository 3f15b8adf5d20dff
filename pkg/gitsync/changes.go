package gitsync

import (
	"context"
	"path"
	"sort"
	"strings"
)

// composeNames are the compose file names that make a folder a stack
// (pkg/stack's, in its order).
func composeNames() []string {
	return []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}
}

// rootWide says whether a path relative to the root changes every stack:
// the root's .env, .env.age and hooks/ folder.
func rootWide(rel string) bool {
	return rel == ".env" || rel == ".env.age" || strings.HasPrefix(rel, "hooks/")
}

// rel returns p (relative to the work tree) relative to the root, and
// whether it is under the root.
func (r *Repo) rel(p string) (string, bool) {
	if r.Prefix == "" {
		return p, true
	}
	if strings.HasPrefix(p, r.Prefix+"/") {
		return p[len(r.Prefix)+1:], true
	}
	return "", false
}

// StacksAt returns the names of the stacks the root holds at commit: its
// sub-folders (not hidden) with a compose file, sorted.
func (r *Repo) StacksAt(ctx context.Context, commit string) ([]string, error) {
	args := []string{"ls-tree", "-r", "--name-only", "-z", commit, "--"}
	if r.Prefix != "" {
		args = append(args, r.Prefix)
	}
	out, err := r.Run(ctx, args...)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range strings.Split(out, "\x00") {
		rel, ok := r.rel(p)
		if !ok {
			continue
		}
		dir, file := path.Split(rel)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" || strings.Contains(dir, "/") || strings.HasPrefix(dir, ".") {
			continue
		}
		for _, n := range composeNames() {
			if file == n {
				seen[dir] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// ChangedFiles returns the files, relative to the root, that differ
// between commits from and to (both sides of a rename).
func (r *Repo) ChangedFiles(ctx context.Context, from, to string) ([]string, error) {
	args := []string{"diff", "--name-only", "--no-renames", "--no-ext-diff", "--no-textconv", "-z", from, to, "--"}
	if r.Prefix != "" {
		args = append(args, r.Prefix)
	}
	out, err := r.Run(ctx, args...)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range strings.Split(out, "\x00") {
		if rel, ok := r.rel(p); ok && rel != "" {
			files = append(files, rel)
		}
	}
	return files, nil
}

// StackChange is what a sync does to one stack.
type StackChange struct {
	Name string `json:"name"`
	// From is the commit the stack was last deployed from ("" never).
	From string `json:"from,omitempty"`
	// Why: "changed", "root" (the root .env or hooks/ changed), "new",
	// "retry" (its last up failed) or "removed".
	Why string `json:"why"`
	// Files are the stack's files that changed (up to a few).
	Files []string `json:"files,omitempty"`
}

// Changes compares every stack's deployed commit with to. deployed maps
// a stack to the commit it was last deployed from; a stack without one
// counts as deployed from base (the work tree's commit before the sync);
// failed are stacks whose last up failed. It returns the stacks to bring
// up at to and the stacks removed since they were deployed.
func (r *Repo) Changes(ctx context.Context, base, to string, deployed map[string]string, failed map[string]bool) (up, removed []StackChange, err error) {
	now, err := r.StacksAt(ctx, to)
	if err != nil {
		return nil, nil, err
	}
	present, existed := map[string]bool{}, map[string]bool{}
	for _, n := range now {
		present[n] = true
	}
	cands := map[string]string{} // stack -> its deployed commit
	for _, n := range now {
		cands[n] = base
	}
	before, err := r.StacksAt(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range before {
		cands[n], existed[n] = base, true
	}
	for n, c := range deployed {
		cands[n] = c
	}
	links, err := r.LinkedPaths(ctx, to)
	if err != nil {
		return nil, nil, err
	}
	diffs := map[string][]string{} // commit -> files changed since
	names := make([]string, 0, len(cands))
	for n := range cands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		from := cands[n]
		files, ok := diffs[from]
		if !ok && from != to {
			if files, err = r.ChangedFiles(ctx, from, to); err != nil {
				return nil, nil, err
			}
			diffs[from] = files
		}
		_, recorded := deployed[n]
		c := classify(n, from, viaLinks(files, n, links), present[n], failed[n])
		if c.Why == "changed" && !recorded && !existed[n] {
			c.Why = "new"
		}
		switch {
		case c.Why == "":
		case c.Why == "removed":
			removed = append(removed, c)
		default:
			up = append(up, c)
		}
	}
	return up, removed, nil
}

// classify says why stack n (deployed from from; files changed since)
// comes up, is removed, or neither (Why "").
func classify(n, from string, files []string, present, failed bool) StackChange {
	c := StackChange{Name: n, From: from}
	var own []string
	root := false
	for _, f := range files {
		if strings.HasPrefix(f, n+"/") {
			own = append(own, f)
		} else if rootWide(f) {
			root = true
		}
	}
	switch {
	case !present:
		if len(own) > 0 {
			c.Why = "removed"
		}
		return c
	case failed:
		c.Why = "retry"
	case len(own) > 0:
		c.Why = "changed"
	case root:
		c.Why = "root"
	}
	if len(own) > 5 {
		own = append(own[:5:5], "…")
	}
	c.Files = own
	return c
}

// LinkedPaths finds the symlinks of commit that lead out of a stack's
// folder to another path of the root (blog/conf -> ../shared/conf), and
// those of the root's .env, .env.age and hooks: it maps each stack's
// name ("" for the root's files) to the root-relative paths its links
// lead to. A link that leads out of the root, or to an absolute path,
// names nothing git tracks and is left out.
func (r *Repo) LinkedPaths(ctx context.Context, commit string) (map[string][]Link, error) {
	args := []string{"ls-tree", "-r", "-z", commit, "--"}
	if r.Prefix != "" {
		args = append(args, r.Prefix)
	}
	out, err := r.Run(ctx, args...)
	if err != nil {
		return nil, err
	}
	links := map[string][]Link{}
	for _, rec := range strings.Split(out, "\x00") {
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[0] != "120000" {
			continue
		}
		rel, ok := r.rel(p)
		if !ok {
			continue
		}
		owner, inStack := linkOwner(rel)
		if rootWide(rel) || rootWide(rel+"/") {
			owner, inStack = "", false
		} else if !inStack {
			continue
		}
		target, err := r.Run(ctx, "cat-file", "blob", f[2])
		if err != nil {
			return nil, err
		}
		if path.IsAbs(target) {
			continue
		}
		dst := path.Join(path.Dir(rel), target)
		if dst == ".." || strings.HasPrefix(dst, "../") || (inStack && (dst == owner || strings.HasPrefix(dst, owner+"/"))) {
			continue
		}
		links[owner] = append(links[owner], Link{Path: rel, Target: dst})
	}
	return links, nil
}

// linkOwner says whose file rel is: a stack's (its first folder, when it
// is in a folder) or the root's ("").
func linkOwner(rel string) (string, bool) {
	dir, _, ok := strings.Cut(rel, "/")
	if !ok || strings.HasPrefix(dir, ".") {
		return "", false
	}
	return dir, true
}

// Link is a symlink of the root (Path) and the root-relative path it
// leads to (Target).
type Link struct{ Path, Target string }

// viaLinks returns files with, for each file under a path one of stack
// n's links (or the root's) leads to, its name through the link
// (blog/conf/app.conf for shared/conf/app.conf): a change of the stack,
// or of the root's .env or hooks (a change every stack sees).
func viaLinks(files []string, n string, links map[string][]Link) []string {
	out := files
	mine := make([]Link, 0, len(links[n])+len(links[""]))
	mine = append(append(mine, links[n]...), links[""]...)
	for _, f := range files {
		for _, l := range mine {
			if f == l.Target || strings.HasPrefix(f, l.Target+"/") {
				out = append(out, l.Path+strings.TrimPrefix(f, l.Target))
			}
		}
	}
	return out
}
