package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// Repo is the git repository whose work tree holds the root.
type Repo struct {
	Git
	// Prefix is the root's path inside the work tree, with "/"
	// separators ("" when the root is the work tree).
	Prefix string
	// Branch is the checked-out branch, Remote and Upstream its upstream
	// ("origin", "refs/remotes/origin/main").
	Branch, Remote, Upstream string
}

// Open finds the repository of root: gitTop (KOMPOSE_GIT_DIR) when set,
// else the nearest folder at or above root holding a .git folder. The
// repository's folder, .git and .git/config must pass pol's trust rule:
// their owners can make kompose run code.
func Open(ctx context.Context, root, gitTop string, environ []string, pol trust.Policy) (*Repo, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	top := gitTop
	if top == "" {
		top = findTop(root)
		if top == "" {
			return nil, fmt.Errorf("%s is not in a git work tree (no .git folder at or above it; KOMPOSE_GIT_DIR names another)", root)
		}
	}
	if top, err = filepath.Abs(top); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(top, root)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("the root %s is not inside the git work tree %s (KOMPOSE_GIT_DIR)", root, top)
	}
	gitDir := filepath.Join(top, ".git")
	fi, err := os.Lstat(gitDir)
	if err != nil {
		return nil, fmt.Errorf("%s: not a git work tree: %w", top, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder (a linked work tree or submodule): sync needs the repository's own .git folder", gitDir)
	}
	tree := trust.NewTree(pol)
	const use = "take git's configuration from"
	if err := tree.CheckDir(use, gitDir); err != nil {
		return nil, err
	}
	if err := tree.CheckFile(use, filepath.Join(gitDir, "config")); err != nil {
		return nil, err
	}
	r := &Repo{Git: Git{WorkTree: top, GitDir: gitDir, Environ: environ}}
	if rel != "." {
		r.Prefix = filepath.ToSlash(rel)
	}
	if err := r.CheckConfig(ctx); err != nil {
		return nil, err
	}
	if err := r.CheckConfigFiles(ctx, tree, use); err != nil {
		return nil, err
	}
	return r, r.upstream(ctx)
}

func findTop(dir string) string {
	for {
		if fi, err := os.Lstat(filepath.Join(dir, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// upstream finds the branch and its upstream.
func (r *Repo) upstream(ctx context.Context) error {
	out, err := r.Run(ctx, "symbolic-ref", "-q", "HEAD")
	if err != nil {
		return fmt.Errorf("%s: HEAD is not on a branch (detached?): sync follows a branch's upstream: %w", r.WorkTree, err)
	}
	r.Branch = strings.TrimPrefix(strings.TrimSpace(out), "refs/heads/")
	remote, err := r.Run(ctx, "config", "--get", "branch."+r.Branch+".remote")
	merge, err2 := r.Run(ctx, "config", "--get", "branch."+r.Branch+".merge")
	if err != nil || err2 != nil {
		return fmt.Errorf("%s: branch %q has no upstream (git branch --set-upstream-to=origin/%s)", r.WorkTree, r.Branch, r.Branch)
	}
	r.Remote = strings.TrimSpace(remote)
	if r.Remote == "." {
		return fmt.Errorf("%s: the upstream of branch %q is a local branch: sync follows a remote", r.WorkTree, r.Branch)
	}
	up, err := r.Run(ctx, "rev-parse", "--symbolic-full-name", r.Branch+"@{upstream}")
	if err != nil {
		// A remote may be a URL, with a token in it: never shown.
		return fmt.Errorf("%s: the upstream of branch %q (%s %s): %w", r.WorkTree, r.Branch, Redact(r.Remote), strings.TrimSpace(merge), err)
	}
	r.Upstream = strings.TrimSpace(up)
	return nil
}

// deniedConfig are the keys the repository's own configuration (or a
// file it includes) may not set: git runs them as programs and a -c on
// the command line cannot switch them off for every name.
func deniedConfig(key string) bool {
	k := strings.ToLower(key)
	section, rest, _ := strings.Cut(k, ".")
	last := rest
	if i := strings.LastIndex(rest, "."); i >= 0 {
		last = rest[i+1:]
	}
	switch section {
	case "filter":
		return last == "clean" || last == "smudge" || last == "process"
	case "diff":
		return last == "command" || last == "textconv"
	case "merge":
		return last == "driver"
	case "credential":
		return last == "helper"
	case "core":
		return rest == "alternaterefscommand" || rest == "gitproxy"
	case "remote":
		return last == "vcs"
	}
	return false
}

// CheckConfig refuses a repository whose own configuration sets a key git
// would run as a program and that kompose cannot override ([deniedConfig]).
func (r *Repo) CheckConfig(ctx context.Context) error {
	out, err := r.Run(ctx, "config", "--list", "--show-scope", "--name-only", "-z")
	if err != nil {
		return err
	}
	var bad []string
	f := strings.Split(out, "\x00") // scope NUL key NUL ...
	for i := 0; i+1 < len(f); i += 2 {
		scope, key := f[i], f[i+1]
		if (scope == "local" || scope == "worktree") && deniedConfig(key) {
			bad = append(bad, key)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s: the repository's configuration sets %s, which git would run as a program: sync refuses it (remove it with git config --unset, or set it in your own ~/.gitconfig)",
		filepath.Join(r.GitDir, "config"), strings.Join(bad, ", "))
}

// CheckConfigFiles checks, with tree's trust rule, every file the
// repository's own configuration comes from: .git/config and the files
// it includes (include.path, includeIf), which are configuration as much
// as .git/config is (url.*.insteadOf sends the fetch elsewhere,
// core.attributesFile names the filters a checkout runs). A file that
// is not there yet is not listed by git: an include of a missing file
// is the user's to avoid (docs/git.md).
func (r *Repo) CheckConfigFiles(ctx context.Context, tree *trust.Tree, use string) error {
	out, err := r.Run(ctx, "config", "--list", "--show-scope", "--show-origin", "--name-only", "-z")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	f := strings.Split(out, "\x00") // scope NUL origin NUL key NUL ...
	for i := 0; i+2 < len(f); i += 3 {
		scope, origin := f[i], f[i+1]
		file, ok := strings.CutPrefix(origin, "file:")
		if !ok || (scope != "local" && scope != "worktree") {
			continue
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(r.WorkTree, file)
		}
		if seen[file] {
			continue
		}
		seen[file] = true
		if err := tree.CheckFile(use, file); err != nil {
			return fmt.Errorf("%s (a file the repository's configuration includes): %w", file, err)
		}
	}
	return nil
}

// Rev resolves a revision to a commit id.
func (r *Repo) Rev(ctx context.Context, rev string) (string, error) {
	out, err := r.Run(ctx, "rev-parse", "--verify", "-q", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("%s: no commit %q", r.WorkTree, rev)
	}
	return strings.TrimSpace(out), nil
}

// Fetch fetches the upstream's remote.
func (r *Repo) Fetch(ctx context.Context) error {
	// --upload-pack: remote.<name>.uploadpack, which git runs for a local
	// or file:// remote, cannot be overridden with -c (the first value
	// wins).
	_, err := r.Run(ctx, "fetch", "--quiet", "--no-recurse-submodules", "--upload-pack=git-upload-pack", "--", r.Remote)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", Redact(r.Remote), err)
	}
	return nil
}

// Dirty returns the work tree's changed, staged and untracked files,
// leaving out kompose's own ([Own]) and ignored files.
func (r *Repo) Dirty(ctx context.Context) ([]string, error) {
	out, err := r.RunEnv(ctx, []string{"GIT_OPTIONAL_LOCKS=0"}, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return nil, err
	}
	var dirty []string
	recs := strings.Split(out, "\x00")
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if len(rec) < 4 {
			continue
		}
		xy, p := rec[:2], rec[3:]
		if xy[0] == 'R' || xy[0] == 'C' {
			i++ // the source of a rename follows
		}
		if !Own(p) {
			dirty = append(dirty, p)
		}
	}
	return dirty, nil
}

// Commit is one commit of a range.
type Commit struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Author  string `json:"author"`
}

// Commits lists the commits reachable from to and not from from, newest
// first.
func (r *Repo) Commits(ctx context.Context, from, to string) ([]Commit, error) {
	out, err := r.Run(ctx, "log", "--no-show-signature", "-z", "--format=%H%x1f%an <%ae>%x1f%s", from+".."+to, "--")
	if err != nil {
		return nil, err
	}
	var cs []Commit
	for _, rec := range strings.Split(out, "\x00") {
		f := strings.SplitN(strings.TrimPrefix(rec, "\n"), "\x1f", 3)
		if len(f) == 3 {
			cs = append(cs, Commit{ID: f[0], Author: Printable(f[1]), Subject: Printable(f[2])})
		}
	}
	return cs, nil
}

// IsAncestor reports whether a is an ancestor of b (or b itself).
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.Run(ctx, "merge-base", "--is-ancestor", a, b)
	var ge *Error
	if errors.As(err, &ge) {
		return false, nil
	}
	return err == nil, err
}

// FastForward moves the branch and the work tree to commit, which must
// be a descendant of HEAD.
func (r *Repo) FastForward(ctx context.Context, commit string) error {
	if _, err := r.Run(ctx, "merge", "--ff-only", "--no-stat", "--quiet", commit); err != nil {
		return fmt.Errorf("fast-forward to %s: %w", short(commit), err)
	}
	return nil
}

// ResetTo moves the branch and the work tree back to commit, keeping
// nothing of what the commits after it changed (git reset --keep: it
// refuses when that would lose a local change).
func (r *Repo) ResetTo(ctx context.Context, commit string) error {
	if _, err := r.Run(ctx, "reset", "--quiet", "--keep", commit); err != nil {
		return fmt.Errorf("back to %s: %w", short(commit), err)
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
