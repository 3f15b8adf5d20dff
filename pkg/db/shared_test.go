package db

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kompose-dev/kompose/internal/pgtest"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// sharedStacks makes stacks named by names under root, each keeping dumps
// of app in the folder dirs gives it.
func sharedStacks(t *testing.T, root string, dirs map[string]string) []stack.Stack {
	t.Helper()
	var out []stack.Stack
	for _, name := range []string{"a", "b", "c"} {
		dir, ok := dirs[name]
		if !ok {
			continue
		}
		sd := filepath.Join(root, name)
		if err := os.MkdirAll(sd, 0o755); err != nil {
			t.Fatal(err)
		}
		envFile := filepath.Join(sd, ".env")
		if err := os.WriteFile(envFile, []byte("DB_NAME=app\nDB_DUMP_DIR="+dir+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, stack.Stack{Name: name, Dir: sd, ComposeFile: filepath.Join(sd, "compose.yaml"), EnvFile: envFile})
	}
	return out
}

// Issue 17, item 6: two stacks whose dump folders are one folder under two
// names (a bind mount; two mounts of one NFS export look the same) share
// their dumps: one's cleanup would delete the other's. Folders are
// compared by device and inode, not by name.
func TestSharedDumpFolderByInode(t *testing.T) {
	if os.Geteuid() != 0 {
		if pgtest.Required() {
			t.Fatal("a bind mount needs root")
		}
		t.Skip("a bind mount needs root")
	}
	base := t.TempDir()
	backups, mnt := filepath.Join(base, "backups"), filepath.Join(base, "mnt")
	for _, d := range []string{backups, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("mount", "--bind", backups, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind: %v %s", err, out)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("umount %s: %v", mnt, err)
		}
	})
	root := filepath.Join(base, "root")
	check := func(dirs map[string]string) error {
		all := sharedStacks(t, root, dirs)
		return checkShared(plan.Request{All: all}, env.New(), all[:1], trust.NewTree(trust.Current()))
	}
	for what, dirs := range map[string]map[string]string{
		"bind mount":                  {"a": backups, "b": mnt},
		"a folder not created yet":    {"a": filepath.Join(backups, "app"), "b": filepath.Join(mnt, "app")},
		"through a symlink and mount": {"a": backups, "b": filepath.Join(base, "link", "..", "mnt")},
	} {
		os.RemoveAll(root)
		if err := os.Symlink(mnt, filepath.Join(base, "link")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		err := check(dirs)
		if err == nil || !strings.Contains(err.Error(), "stacks a and b both keep dumps of app") {
			t.Errorf("%s: %v, want a refusal", what, err)
		}
	}
	// Two different folders are not one.
	os.RemoveAll(root)
	other := filepath.Join(base, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := check(map[string]string{"a": backups, "b": other}); err != nil {
		t.Errorf("different folders: %v", err)
	}
}
