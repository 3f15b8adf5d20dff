package gitsync

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Extract writes the files of stack name as commit had them, with the
// root's .env, .env.age and hooks/ of that commit, into dst (a new,
// private folder that becomes a root of its own): a stack removed
// upstream is taken down from the files it was deployed with. Only
// regular files and folders are written (no symlink, no device, no
// submodule), none writable by group or others.
func (r *Repo) Extract(ctx context.Context, commit, name, dst string) error {
	paths := []string{r.join(name)}
	for _, p := range []string{".env", ".env.age", "hooks"} {
		paths = append(paths, r.join(p))
	}
	if err := r.writeTree(ctx, commit, paths, dst); err != nil {
		return fmt.Errorf("the files of %s at %s: %w", name, short(commit), err)
	}
	return nil
}

// ExtractRoot writes the whole root as commit has it into dst, as
// [Repo.Extract] does for one stack: a dry run plans the stacks from the
// files the fast-forward would bring.
func (r *Repo) ExtractRoot(ctx context.Context, commit, dst string) error {
	var paths []string
	if r.Prefix != "" {
		paths = []string{r.Prefix}
	}
	if err := r.writeTree(ctx, commit, paths, dst); err != nil {
		return fmt.Errorf("the root at %s: %w", short(commit), err)
	}
	return nil
}

func (r *Repo) join(p string) string {
	if r.Prefix == "" {
		return p
	}
	return r.Prefix + "/" + p
}

// blob is one regular file of a tree: its object id, mode and path
// relative to the root.
type blob struct {
	id, rel string
	exec    bool
}

// writeTree writes the regular files of commit under paths (all of it
// when none) into dst, each as the blob git stores, byte for byte. Not
// git archive: it applies the commit's own .gitattributes (export-ignore
// leaves files out, export-subst rewrites them), so the files would not
// be the ones a checkout gives the real run.
func (r *Repo) writeTree(ctx context.Context, commit string, paths []string, dst string) error {
	out, err := r.Run(ctx, append([]string{"ls-tree", "-r", "-z", "--full-tree", commit, "--"}, paths...)...)
	if err != nil {
		return err
	}
	var blobs []blob
	var ids strings.Builder
	for _, rec := range strings.Split(out, "\x00") {
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || (f[0] != "100644" && f[0] != "100755") {
			continue // symlinks, submodules
		}
		rel, ok := r.rel(p)
		if !ok || rel == "" || strings.HasPrefix(path.Clean(rel), "../") || path.IsAbs(rel) {
			continue
		}
		blobs = append(blobs, blob{id: f[2], rel: path.Clean(rel), exec: f[0] == "100755"})
		ids.WriteString(f[2] + "\n")
	}
	if len(blobs) == 0 {
		return nil
	}
	content, err := r.RunInput(ctx, strings.NewReader(ids.String()), "cat-file", "--batch")
	if err != nil {
		return err
	}
	br := bufio.NewReader(strings.NewReader(content))
	for _, b := range blobs {
		if err := writeBlob(br, b, dst); err != nil {
			return err
		}
	}
	return nil
}

// writeBlob reads the next object of git cat-file --batch's output from
// br ("<id> blob <size>\n<content>\n") and writes it as b under dst.
func writeBlob(br *bufio.Reader, b blob, dst string) error {
	header, err := br.ReadString('\n')
	if err != nil {
		return fmt.Errorf("cat-file: %w", err)
	}
	f := strings.Fields(header)
	if len(f) != 3 || f[0] != b.id || f[1] != "blob" {
		return fmt.Errorf("cat-file: unexpected %q for %s", strings.TrimSpace(header), b.rel)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fmt.Errorf("cat-file: %q: %w", strings.TrimSpace(header), err)
	}
	target := filepath.Join(dst, filepath.FromSlash(b.rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if b.exec {
		mode = 0o755
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.CopyN(out, br, size)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	_, err = br.Discard(1) // the newline after the content
	return err
}
