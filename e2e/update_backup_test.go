//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// update --backup runs the stack's real backup before recreating (the
// db:export dump and the vol:export archive of the app's named volume;
// the database's own volume is left to the dump) and records every file
// in the history; rollback --restore imports the dump, puts the volume's
// contents back (vol:import) and brings the previous image back; a failed backup (KOMPOSE_UPDATE_BACKUP=1 in the
// .env, the database stopped) stops the stack before anything is
// recreated, with the pulled reference pointed back.
func TestUpdateBackup(t *testing.T) {
	prog := needRegistry(t)
	e := newEnv(t)
	reg := startRegistry(t, prog, t.TempDir())
	im := newImages(t, e)
	im.prefixes = []string{reg.addr + "/", "kompose-rollback/" + e.prefix}
	const password = "b4ckup-pa55"
	ref := reg.addr + "/" + strings.TrimSuffix(e.prefix, "-") + "/app:1"
	v1 := im.build(ref, "app 1")
	im.push(ref)
	e.write("shop/compose.yaml", "name: {{project}}\n"+registryService(ref)+"    volumes: [files:/data]\n"+pgService("db", "pgdata")+"volumes:\n  pgdata:\n  files:\n")
	e.write("shop/.env", "DB_NAME=shop\nDB_USER="+dbUser+"\nDB_PASSWORD="+password+"\n")
	e.mustExit(e.kompose("shop", "up", "-d", "--wait"), 0)
	e.psql("shop", "db", "shop", seedSQL)
	before := e.psql("shop", "db", "shop", fingerprintSQL)
	e.appExec("shop", "echo v1 >/data/state && mkdir /data/sub && echo kept >/data/sub/f")

	v2 := im.build(ref, "app 2")
	im.push(ref)
	im.docker("image", "tag", v1, ref)

	r := e.kompose("shop", "update", "--backup")
	t.Logf("%s", r)
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if !strings.Contains(r.stdout, "backup: db:export, vol:export before recreating") {
		t.Errorf("the backup is not said:\n%s", r)
	}
	if img, _ := e.runningImage("shop"); img != v2 {
		t.Fatalf("shop runs %s after update --backup, want %s", img, v2)
	}
	h := e.history("shop")
	raw := e.read("shop/.kompose-updates.json")
	dumps := e.dumps("shop", "shop")
	if len(h.Entries) != 1 || len(dumps) != 1 || !strings.Contains(raw, `"backup": "`+dumps[0]+`"`) {
		t.Fatalf("the backup %v is not recorded in the history:\n%s", dumps, raw)
	}
	if fi, err := os.Stat(dumps[0]); err != nil || fi.Size() == 0 {
		t.Fatalf("backup %s: %v", dumps[0], err)
	}
	arch := h.Entries[0].Archives
	if len(arch) != 1 || arch[0].Volume != "files" || !strings.HasPrefix(arch[0].File, e.root+"/shop/backups/files_") {
		t.Fatalf("the archive of volume files is not recorded (pgdata is the dump's):\n%s", raw)
	}
	if fi, err := os.Stat(arch[0].File); err != nil || fi.Size() == 0 {
		t.Fatalf("archive %s: %v", arch[0].File, err)
	}

	// The new version changes the data; rollback --restore brings back
	// the rows of the backup and the previous image.
	e.psql("shop", "db", "shop", "DELETE FROM items WHERE id < 1000;")
	e.appExec("shop", "echo v2 >/data/state && rm -r /data/sub && echo new >/data/new")
	r = e.kompose("shop", "rollback", "--restore")
	t.Logf("%s", r)
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if got := e.psql("shop", "db", "shop", fingerprintSQL); got != before {
		t.Errorf("after rollback --restore the rows are %s, want %s", got, before)
	}
	if img, _ := e.runningImage("shop"); img != v1 {
		t.Errorf("after rollback --restore shop runs %s, want %s", img, v1)
	}
	if got := e.appExec("shop", "cat /data/state /data/sub/f; ls /data"); got != "v1\nkept\nstate\nsub\n" {
		t.Errorf("after rollback --restore the volume holds %q, want the state of the backup", got)
	}
	if !strings.Contains(r.stdout+r.stderr, "restore: vol:import "+arch[0].File) || !strings.Contains(r.stderr, "safety copy of the current contents") {
		t.Errorf("the volume's restore (and its safety copy) is not said:\n%s", r)
	}

	// A failed backup stops the update: the database is stopped, the
	// .env asks for the backup.
	e.write("shop/.env", "DB_NAME=shop\nDB_USER="+dbUser+"\nDB_PASSWORD="+password+"\nKOMPOSE_UPDATE_BACKUP=1\n")
	e.mustExit(e.kompose("shop", "stop", "db"), 0)
	_, appC := e.runningImage("shop")
	v3 := im.build(ref, "app 3")
	im.push(ref)
	im.docker("image", "tag", v1, ref)
	r = e.kompose("shop", "update")
	t.Logf("%s", r)
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "backup failed, nothing recreated") {
		t.Errorf("the failed backup is not named:\n%s", r)
	}
	if _, c := e.runningImage("shop"); c != appC {
		t.Errorf("app was recreated although its backup failed")
	}
	if got := im.id(ref); got != v1 || got == v3 {
		t.Errorf("after the failed backup %s names %s, want %s as before", ref, got, v1)
	}
	if n := len(e.history("shop").Entries); n != 2 {
		t.Errorf("history holds %d entries after a failed backup, want 2 (update, rollback)", n)
	}
}

// appExec runs script in stack's app container and returns its output.
func (e *env) appExec(stack, script string) string {
	e.t.Helper()
	out, err := dockerOut(e.ctx, "exec", e.container(stack, "app").ID, "sh", "-c", script)
	if err != nil {
		e.t.Fatalf("%s: %s: %v", stack, script, err)
	}
	return out
}
