//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestEnvAge: a stack's .env, encrypted by env:encrypt to a real age key
// (the plain file removed once the new one decrypts), deploys with real
// docker compose: the container gets the value of the .env.age, kompose's
// output never shows it, and no file under the root holds it.
func TestEnvAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "v4lue-from-env-age-Q7"
	e.write("shop/compose.yaml", "name: {{project}}\nservices:\n"+
		idleService("app", "hello from shop", "    environment:\n      GREETING: ${GREETING:?}\n"))
	e.write("shop/.env", "GREETING="+secret+"\n")
	o := opts{env: []string{"KOMPOSE_AGE_IDENTITY_FILE=" + keyFile}}

	r := e.komposeWith(o, "shop", "env:encrypt", "--remove-plain", "-r", id.Recipient().String())
	e.mustExit(r, 0)
	if e.read("shop/.env") != "" || !strings.HasPrefix(e.read("shop/.env.age"), "age-encryption.org/v1\n") {
		t.Fatalf("env:encrypt left the .env or wrote no age file:\n%s", r)
	}

	r = e.komposeWith(o, "shop", "up", "-d")
	e.mustExit(r, 0)
	got, err := containerEnv(e.ctx, e.container("shop", "app").ID)
	if err != nil {
		t.Fatal(err)
	}
	if got["GREETING"] != secret {
		t.Errorf("the container's GREETING = %q, want the value of the .env.age", got["GREETING"])
	}
	r2 := e.komposeWith(o, "--dry-run", "shop", "up", "-d")
	e.mustExit(r2, 0)
	for _, out := range []string{r.stdout, r.stderr, r2.stdout, r2.stderr} {
		if strings.Contains(out, secret) {
			t.Errorf("the value of the .env.age shows:\n%s", out)
		}
	}
	_ = filepath.WalkDir(e.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
				t.Errorf("%s holds the decrypted value", p)
			}
		}
		return nil
	})

	// Without the key the stack fails, naming the file; nothing changes.
	r = e.kompose("shop", "up", "-d")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, filepath.Join(e.root, "shop", ".env.age")) || !strings.Contains(r.stderr, "KOMPOSE_AGE_IDENTITY_FILE is not set") {
		t.Errorf("without the key:\n%s", r)
	}
}
