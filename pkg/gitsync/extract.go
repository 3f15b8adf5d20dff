package gitsync

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Extract writes the files of stack name as commit had them, with the
// root's .env, .env.age and hooks/ of that commit, into dst (a new,
// private folder that becomes a root of its own): a stack removed
// upstream is taken down from the files it was deployed with. Only
// regular files and folders are written (no symlink, no device), none
// writable by group or others.
func (r *Repo) Extract(ctx context.Context, commit, name, dst string) error {
	paths := []string{r.join(name)}
	for _, p := range []string{".env", ".env.age", "hooks"} {
		out, err := r.Run(ctx, "ls-tree", "--name-only", commit, "--", r.join(p))
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != "" {
			paths = append(paths, r.join(p))
		}
	}
	out, err := r.Run(ctx, append([]string{"archive", "--format=tar", commit, "--"}, paths...)...)
	if err != nil {
		return fmt.Errorf("the files of %s at %s: %w", name, short(commit), err)
	}
	return r.untar(strings.NewReader(out), dst)
}

// ExtractRoot writes the whole root as commit has it into dst, as
// [Repo.Extract] does for one stack: a dry run plans the stacks from the
// files the fast-forward would bring.
func (r *Repo) ExtractRoot(ctx context.Context, commit, dst string) error {
	args := []string{"archive", "--format=tar", commit}
	if r.Prefix != "" {
		args = append(args, "--", r.Prefix)
	}
	out, err := r.Run(ctx, args...)
	if err != nil {
		return fmt.Errorf("the root at %s: %w", short(commit), err)
	}
	return r.untar(strings.NewReader(out), dst)
}

func (r *Repo) join(p string) string {
	if r.Prefix == "" {
		return p
	}
	return r.Prefix + "/" + p
}

// untar writes the regular files and folders of a git archive under dst.
func (r *Repo) untar(in io.Reader, dst string) error {
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, ok := r.rel(strings.TrimSuffix(path.Clean(h.Name), "/"))
		if !ok || rel == "" || rel == "." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(h.Mode)&0o755)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
