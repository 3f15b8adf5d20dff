package fleet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// ageKey makes a real X25519 key with the age library and writes its
// identity file, mode 0600, in a folder of its own.
func ageKey(t *testing.T) (*age.X25519Identity, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(p, []byte("# test key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return id, p
}

// sealed encrypts plain to id, as `age -r` would.
func sealed(t *testing.T, id *age.X25519Identity, plain string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(plain)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func envAgeFleet(t *testing.T, keyFile string, files map[string]string) (*Fleet, []stack.Stack) {
	t.Helper()
	dir, all := writeRoot(t, files)
	environ := []string{"PATH=/usr/bin:/bin"}
	if keyFile != "" {
		environ = append(environ, encrypt.VarIdentity+"="+keyFile)
	}
	return New(Options{Root: dir, Environ: environ}, all), all
}

// TestEnvAgeRoundTrip: a root .env.age and a stack .env.age, encrypted to
// a real key, are layered where the plain files would be (root < stack <
// -e); every value from them is a secret whatever its name, in the
// stack's masker and the one mask.
func TestEnvAgeRoundTrip(t *testing.T) {
	id, key := ageKey(t)
	f, all := envAgeFleet(t, key, map[string]string{
		".env.age":          sealed(t, id, "GREETING=root-hello-42\nSHARED=root\n"),
		"blog/compose.yaml": "services: {}\n",
		"blog/.env.age":     sealed(t, id, "# comment\nexport SHARED=stack\nSITE_URL=\"https://example.org/${GREETING}\"\nFLAG=true\n"),
	})
	if _, err := f.Base(); err != nil {
		t.Fatal(err)
	}
	m := f.Stack(all[0])
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	for k, want := range map[string]string{"GREETING": "root-hello-42", "SHARED": "stack", "SITE_URL": "https://example.org/root-hello-42", "FLAG": "true"} {
		if v, _ := m.Env.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	for _, k := range []string{"GREETING", "SHARED", "SITE_URL", "FLAG"} {
		if !m.Masker.IsSecret(k) {
			t.Errorf("%s is not a secret", k)
		}
		v, _ := m.Env.Get(k)
		if got := m.Masker.Value(env.Var{Name: k, Value: v}); got != env.Mask {
			t.Errorf("%s shown as %q", k, got)
		}
	}
	text := "deploying root-hello-42 to https://example.org/root-hello-42"
	for _, mk := range []*env.Masker{m.Masker, f.Mask(), f.MaskFor(m)} {
		if got := mk.String(text); strings.Contains(got, "root-hello-42") {
			t.Errorf("not masked: %q", got)
		}
	}
	// A layer above still wins; a .env beside does not make the name
	// public again.
	if src := sourceOf(m.Env, "SHARED"); src != env.SourceStackEnv {
		t.Errorf("SHARED from %q", src)
	}
	if p, line, ok := m.Env.Line("SITE_URL"); !ok || p != all[0].Dir+"/.env.age" || line != 3 {
		t.Errorf("SITE_URL set at %s:%d", p, line)
	}
}

func sourceOf(e *env.Env, name string) env.Source {
	for _, v := range e.Layered() {
		if v.Name == name {
			return v.Source
		}
	}
	return ""
}

// TestEnvAgeOverride: -e outranks a .env.age, as it does a .env.
func TestEnvAgeOverride(t *testing.T) {
	id, key := ageKey(t)
	dir, all := writeRoot(t, map[string]string{
		"blog/compose.yaml": "services: {}\n",
		"blog/.env.age":     sealed(t, id, "PORT=8080\n"),
	})
	f := New(Options{Root: dir, Environ: []string{encrypt.VarIdentity + "=" + key},
		Overrides: []env.Var{{Name: "PORT", Value: "9090", Source: env.SourceOverride}}}, all)
	m := f.Stack(all[0])
	if v, _ := m.Env.Get("PORT"); m.Err != nil || v != "9090" {
		t.Errorf("PORT = %q, %v", v, m.Err)
	}
}

// TestEnvAgeBroken: a wrong key, a truncated file, a changed byte, a
// missing identity, a public identity file, a .env beside the .env.age and
// a line that does not parse: each fails its stack with a message naming
// the file and the problem, never a value; the other stacks load.
func TestEnvAgeBroken(t *testing.T) {
	id, key := ageKey(t)
	other, _ := ageKey(t)
	good := sealed(t, id, "API=s3cr3t-value-xyz\n")
	tampered := []byte(good)
	tampered[len(tampered)-5] ^= 1
	publicKey := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(publicKey, []byte(id.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Root .env sets the identity: not taken (process environment only).
	files := map[string]string{
		".env":               encrypt.VarIdentity + "=" + key + "\n",
		"ok/compose.yaml":    "services: {}\n",
		"ok/.env.age":        good,
		"wrong/compose.yaml": "services: {}\n",
		"wrong/.env.age":     sealed(t, other, "API=s3cr3t-value-xyz\n"),
		"cut/compose.yaml":   "services: {}\n",
		"cut/.env.age":       good[:len(good)-10],
		"flip/compose.yaml":  "services: {}\n",
		"flip/.env.age":      string(tampered),
		"both/compose.yaml":  "services: {}\n",
		"both/.env":          "API=x\n",
		"both/.env.age":      good,
		"parse/compose.yaml": "services: {}\n",
		"parse/.env.age":     sealed(t, id, "A=1\nAPI='s3cr3t-value-xyz\n"),
		"plain/compose.yaml": "services: {}\n",
		"plain/.env.age":     "API=s3cr3t-value-xyz\n",
	}
	want := map[string]string{
		"wrong": "none of the keys of KOMPOSE_AGE_IDENTITY_FILE can decrypt it",
		"cut":   "cut short or changed",
		"flip":  "cut short or changed",
		"both":  "both " + "%ROOT%/both/.env and %ROOT%/both/.env.age exist",
		"parse": "%ROOT%/parse/.env.age: line 2",
		"plain": "not an age file",
	}
	f, all := envAgeFleet(t, key, files)
	root := f.Root()
	for _, st := range all {
		m := f.Stack(st)
		if st.Name == "ok" {
			if m.Err != nil {
				t.Errorf("ok: %v", m.Err)
			}
			continue
		}
		w := strings.ReplaceAll(want[st.Name], "%ROOT%", root)
		if m.Err == nil || !strings.Contains(m.Err.Error(), w) {
			t.Errorf("%s: %v, want %q", st.Name, m.Err, w)
			continue
		}
		if msg := m.Err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "AGE-SECRET-KEY") ||
			!strings.Contains(msg, st.Dir) {
			t.Errorf("%s: %q shows a value or does not name the file", st.Name, msg)
		}
	}

	// No identity in the process environment (the root .env's is ignored).
	f, all = envAgeFleet(t, "", files)
	if m := f.Stack(all[stackIndex(all, "ok")]); m.Err == nil || !strings.Contains(m.Err.Error(), "KOMPOSE_AGE_IDENTITY_FILE is not set in kompose's environment") {
		t.Errorf("no identity: %v", m.Err)
	}
	// An identity file others may read.
	f, all = envAgeFleet(t, publicKey, files)
	if m := f.Stack(all[stackIndex(all, "ok")]); m.Err == nil || !strings.Contains(m.Err.Error(), "readable by its group or others (mode 0644)") ||
		strings.Contains(m.Err.Error(), "AGE-SECRET-KEY") {
		t.Errorf("public identity: %v", m.Err)
	}
}

func stackIndex(all []stack.Stack, name string) int {
	for i, st := range all {
		if st.Name == name {
			return i
		}
	}
	panic(name)
}

// TestRootEnvAgeBroken: a root .env.age that does not decrypt fails the
// base environment (every stack needs it), naming the file.
func TestRootEnvAgeBroken(t *testing.T) {
	_, key := ageKey(t)
	other, _ := ageKey(t)
	f, _ := envAgeFleet(t, key, map[string]string{
		".env.age":       sealed(t, other, "A=1\n"),
		"a/compose.yaml": "services: {}\n",
	})
	if _, err := f.Base(); err == nil || !strings.Contains(err.Error(), f.Root()+"/.env.age") {
		t.Errorf("root .env.age with another key: %v", err)
	}
	f, _ = envAgeFleet(t, key, map[string]string{
		".env":           "A=1\n",
		".env.age":       sealed(t, other, "A=1\n"),
		"a/compose.yaml": "services: {}\n",
	})
	var both *BothError
	if _, err := f.Base(); err == nil || !asBoth(err, &both) {
		t.Errorf("root .env and .env.age: %v", err)
	}
}

func asBoth(err error, target **BothError) bool {
	b, ok := err.(*BothError)
	*target = b
	return ok
}

// TestEnvAgeTrust: a .env.age others may write is refused like a .env,
// before it is decrypted.
func TestEnvAgeTrust(t *testing.T) {
	id, key := ageKey(t)
	f, all := envAgeFleet(t, key, map[string]string{
		"a/compose.yaml": "services: {}\n",
		"a/.env.age":     sealed(t, id, "A=1\n"),
	})
	if err := os.Chmod(filepath.Join(all[0].Dir, ".env.age"), 0o666); err != nil {
		t.Fatal(err)
	}
	if m := f.Stack(all[0]); m.Err == nil || !strings.Contains(m.Err.Error(), "world-writable") {
		t.Errorf("world-writable .env.age: %v", m.Err)
	}
}

// TestEnvAgeFolderNotShown: a .env.age whose PATH (or DOCKER_CONFIG, HOME)
// names a folder another account may change is refused by file, line
// and variable, without the folder: every value of an encrypted file is
// a secret, also in a refusal.
func TestEnvAgeFolderNotShown(t *testing.T) {
	id, key := ageKey(t)
	shared := filepath.Join(t.TempDir(), "sekret-folder-name")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"PATH=" + shared + ":/usr/bin", "DOCKER_CONFIG=" + shared} {
		f, all := envAgeFleet(t, key, map[string]string{
			"blog/compose.yaml": "services: {web: {image: x}}\n",
			"blog/.env.age":     sealed(t, id, "A=1\n"+line+"\n"),
		})
		m := f.Stack(all[0])
		if m.Err == nil {
			t.Fatalf("%s: accepted", line)
		}
		msg := m.Err.Error()
		if strings.Contains(msg, "sekret-folder-name") || !strings.Contains(msg, ".env.age") || !strings.Contains(msg, "line 2") {
			t.Errorf("%s: %s", line, msg)
		}
	}
}
