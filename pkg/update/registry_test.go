package update

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// testRegistry is go-containerregistry's in-memory registry on loopback,
// counting the manifest requests it gets, and asking for basic auth when
// user is set.
type testRegistry struct {
	srv        *httptest.Server
	host       string
	manifests  atomic.Int64
	user, pass string
}

func newTestRegistry(t *testing.T, user, pass string) *testRegistry {
	tr := &testRegistry{user: user, pass: pass}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tr.user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != tr.user || p != tr.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		if strings.Contains(r.URL.Path, "/manifests/") && r.Method != http.MethodPut {
			tr.manifests.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

// push writes img (an image or an index) under ref on the registry and
// returns its digest.
func (tr *testRegistry) push(t *testing.T, repoTag string, img any) string {
	t.Helper()
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{}
	if tr.user != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: tr.user, Password: tr.pass}))
	}
	var d v1.Hash
	switch x := img.(type) {
	case v1.Image:
		err = remote.Write(ref, x, opts...)
		d, _ = x.Digest()
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, x, opts...)
		d, _ = x.Digest()
	}
	if err != nil {
		t.Fatal(err)
	}
	tr.manifests.Store(0)
	return d.String()
}

func randomImage(t *testing.T) v1.Image {
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Many stacks asking about the same references at once cause one
// manifest request per distinct reference.
func TestRegistriesAskOncePerReference(t *testing.T) {
	tr := newTestRegistry(t, "", "")
	want := map[string]string{}
	for _, r := range []string{"a:1", "b:1", "c:1"} {
		want[tr.host+"/"+r] = tr.push(t, r, randomImage(t))
	}
	regs := NewRegistries()
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 20 {
		for ref, d := range want {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := regs.remoteDigest(context.Background(), question{ref: ref, insecure: true})
				if a.err != nil || a.digest != d {
					bad.Add(1)
					t.Errorf("%s: %q, %v; want %s", ref, a.digest, a.err, d)
				}
			}()
		}
	}
	wg.Wait()
	if n := tr.manifests.Load(); n != 3 {
		t.Errorf("%d manifest requests for 60 questions about 3 references, want 3", n)
	}
}

// An index: the running image pulled by the index's digest is up to date;
// pulled by the platform manifest's digest too (one more request); a new
// index whose children differ is an update.
func TestCheckCompareIndex(t *testing.T) {
	tr := newTestRegistry(t, "", "")
	child := randomImage(t)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: child, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	idxDigest := tr.push(t, "multi:1", idx)
	childDigest, _ := child.Digest()
	ref := tr.host + "/multi:1"
	repo := tr.host + "/multi"
	q := question{ref: ref, insecure: true}

	cases := []struct {
		name  string
		local []string
		want  string
	}{
		{"by index digest", []string{repo + "@" + idxDigest}, StateUpToDate},
		{"by platform digest", []string{repo + "@" + childDigest.String()}, StateUpToDate},
		{"other repository only", []string{tr.host + "/other@" + idxDigest}, StateUnknown},
		{"older digest", []string{repo + "@sha256:" + strings.Repeat("1", 64)}, StateAvailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := &Check{Regs: NewRegistries()}
			a := ch.Regs.remoteDigest(context.Background(), q)
			sc := ServiceCheck{Service: "app", Image: ref}
			ch.compare(context.Background(), &sc, q, a, id('a'), c.local)
			if sc.State != c.want {
				t.Errorf("state %q (%s), want %q", sc.State, sc.Line(), c.want)
			}
		})
	}
	// Not running anything yet: not pulled.
	ch := &Check{Regs: NewRegistries()}
	sc := ServiceCheck{Service: "app", Image: ref}
	ch.compare(context.Background(), &sc, q, ch.Regs.remoteDigest(context.Background(), q), "", nil)
	if sc.State != StateNotPulled || sc.Remote != idxDigest {
		t.Errorf("%+v", sc)
	}
}

// The credentials come from the docker config folder the question names
// (the stack's DOCKER_CONFIG), never from kompose's own environment; a
// refusal is an error of that question only, and no password appears in
// it.
func TestRegistriesCredentialsFromStackConfig(t *testing.T) {
	tr := newTestRegistry(t, "kuser", "s3cret-pass")
	d := tr.push(t, "private:1", randomImage(t))
	ref := tr.host + "/private:1"

	good := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("kuser:s3cret-pass"))
	if err := os.WriteFile(filepath.Join(good, "config.json"), []byte(`{"auths":{"`+tr.host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// kompose's own DOCKER_CONFIG has the credentials: a stack without
	// them must not borrow them.
	t.Setenv("DOCKER_CONFIG", good)
	empty := t.TempDir()

	regs := NewRegistries()
	a := regs.remoteDigest(context.Background(), question{ref: ref, configDir: good, insecure: true})
	if a.err != nil || a.digest != d {
		t.Fatalf("with the stack's config: %q, %v", a.digest, a.err)
	}
	a = regs.remoteDigest(context.Background(), question{ref: ref, configDir: empty, insecure: true})
	if a.err == nil {
		t.Fatal("a stack without credentials got an answer (kompose's own DOCKER_CONFIG was used)")
	}
	if strings.Contains(a.err.Error(), "s3cret") || strings.Contains(a.err.Error(), auth) {
		t.Errorf("the error holds the password: %v", a.err)
	}
	if !strings.Contains(a.err.Error(), tr.host+" refused: HTTP 401 Unauthorized (credentials from "+filepath.Join(empty, "config.json")+")") {
		t.Errorf("the refusal does not say so: %v", a.err)
	}
}

// A registry that is gone is an error of its questions, within the
// timeout.
func TestRegistriesUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	a := NewRegistries().remoteDigest(context.Background(), question{ref: addr + "/gone:1", insecure: true})
	if a.err == nil || !strings.Contains(a.err.Error(), "refused") {
		t.Errorf("err = %v", a.err)
	}
}

// The engine's insecure registries decide plain HTTP as docker does.
func TestRegistryConfigInsecure(t *testing.T) {
	var cfg registryConfig
	cfg.InsecureRegistryCIDRs = []string{"127.0.0.0/8", "10.1.0.0/16"}
	cfg.IndexConfigs = map[string]struct{ Secure bool }{
		"docker.io":           {Secure: true},
		"registry.lan:5000":   {Secure: false},
		"127.0.0.5:443":       {Secure: true},
		"secure.example:5000": {Secure: true},
	}
	lookup := func(h string) ([]net.IP, error) {
		switch h {
		case "localhost":
			return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, nil
		case "inside.lan":
			return []net.IP{net.ParseIP("10.1.2.3")}, nil
		}
		return []net.IP{net.ParseIP("203.0.113.9")}, nil
	}
	for host, want := range map[string]bool{
		"127.0.0.1:5000":      true,
		"localhost:5000":      true,
		"registry.lan:5000":   true,
		"inside.lan":          true,
		"127.0.0.5:443":       false,
		"index.docker.io":     false,
		"ghcr.io":             false,
		"secure.example:5000": false,
	} {
		if got := cfg.insecure(host, lookup); got != want {
			t.Errorf("insecure(%s) = %v, want %v", host, got, want)
		}
	}
}

func TestDockerConfigDir(t *testing.T) {
	m := map[string]string{"DOCKER_CONFIG": "/srv/blog/docker", "HOME": "/home/blog"}
	look := func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	if got := dockerConfigDir(look); got != "/srv/blog/docker" {
		t.Errorf("got %s", got)
	}
	delete(m, "DOCKER_CONFIG")
	if got := dockerConfigDir(look); got != "/home/blog/.docker" {
		t.Errorf("got %s", got)
	}
}

// --min-age: an update whose image the registry created less than
// MinAge ago is "update too new"; an older one stays available.
func TestCheckMinAge(t *testing.T) {
	tr := newTestRegistry(t, "", "")
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	img, err := mutate.CreatedAt(randomImage(t), v1.Time{Time: now.Add(-5 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tr.push(t, "young:1", img)
	ref := tr.host + "/young:1"
	q := question{ref: ref, insecure: true}
	for _, c := range []struct {
		minAge time.Duration
		want   string
	}{{72 * time.Hour, StateTooNew}, {time.Hour, StateAvailable}} {
		ch := &Check{Regs: NewRegistries(), MinAge: c.minAge, Now: func() time.Time { return now }}
		sc := ServiceCheck{Service: "app", Image: ref}
		ch.compare(context.Background(), &sc, q, ch.Regs.remoteDigest(context.Background(), q), id('a'), []string{tr.host + "/young@sha256:" + strings.Repeat("1", 64)})
		ch.ageGate(context.Background(), &sc, q, "linux/amd64")
		if sc.State != c.want {
			t.Errorf("min-age %s: %q (%s), want %q", c.minAge, sc.State, sc.Line(), c.want)
		}
		if c.want == StateTooNew && !strings.Contains(sc.Line(), "created 2026-12-06T07:00:00Z (5h0m0s ago), younger than --min-age 72h0m0s") {
			t.Errorf("line: %s", sc.Line())
		}
	}
}

// The check's record round-trips for status, masked; a symlink at its
// name is refused, not followed.
func TestCheckRecord(t *testing.T) {
	s := newStack(t)
	s.Env.Set("IMAGE_TOKEN", "t0ken-in-ref", env.SourceStackEnv)
	s.Masker = env.NewMasker(s.Env)
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	found := []ServiceCheck{
		{Service: "web", Image: "reg/t0ken-in-ref:1", State: StateAvailable, Local: "sha256:1", Remote: "sha256:2"},
		{Service: "db", Image: "pg:15", State: StateFailed, Why: "cannot reach"},
	}
	if err := saveCheck(trust.Current(), s, now, found); err != nil {
		t.Fatal(err)
	}
	rec, err := LoadCheck(s.Dir)
	if err != nil || rec == nil || !rec.Time.Equal(now) || rec.Count(StateAvailable) != 1 || rec.Count(StateFailed) != 1 {
		t.Fatalf("%+v, %v", rec, err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir, CheckFileName))
	if strings.Contains(string(b), "t0ken-in-ref") {
		t.Errorf("the record holds a secret:\n%s", b)
	}
	if rec, err := LoadCheck(t.TempDir()); rec != nil || err != nil {
		t.Errorf("no record: %+v, %v", rec, err)
	}
	other := t.TempDir()
	if err := os.Symlink(filepath.Join(s.Dir, CheckFileName), filepath.Join(other, CheckFileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheck(other); err == nil {
		t.Error("a symlinked record was followed")
	}
}
