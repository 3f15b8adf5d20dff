package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryTimeout bounds one registry question (the manifest of one image
// reference, with its authentication round trips).
const RegistryTimeout = 30 * time.Second

// maxRegistryRequests is how many registry questions a run asks at once.
const maxRegistryRequests = 8

// Registries answers, for the whole run, what digest a registry has for
// an image reference: each distinct question is asked once, however many
// stacks ask it, and at most maxRegistryRequests at a time. It is made
// once per run (by [Commands]) and shared by every stack's update --check.
type Registries struct {
	// Timeout bounds one question; RegistryTimeout when zero.
	Timeout time.Duration

	sem     chan struct{}
	mu      sync.Mutex
	answers map[question]*answer
	engines map[string]*engineRegs
}

// NewRegistries returns an empty Registries.
func NewRegistries() *Registries {
	return &Registries{
		sem:     make(chan struct{}, maxRegistryRequests),
		answers: map[question]*answer{},
		engines: map[string]*engineRegs{},
	}
}

// question is one registry question: the manifest of ref (or, with index
// set, the platform manifests of index ref), asked with the credentials
// of one docker config folder, over plain HTTP or not.
type question struct {
	ref       string
	configDir string
	insecure  bool
	index     bool
	// platform, when set ("linux/amd64"), asks for the creation date of
	// the image for that platform instead (--min-age).
	platform string
}

// answer is a question's answer, filled once; done is closed then.
type answer struct {
	done chan struct{}
	// digest and index are the manifest's digest and whether it is an
	// index (a manifest list); children the platform manifests' digests
	// of an index question.
	digest   string
	isIndex  bool
	children []string
	created  time.Time
	err      error
}

// remoteDigest asks (or waits for the answer to) q.
func (r *Registries) remoteDigest(ctx context.Context, q question) *answer {
	r.mu.Lock()
	a, ok := r.answers[q]
	if !ok {
		a = &answer{done: make(chan struct{})}
		r.answers[q] = a
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-a.done:
			return a
		case <-ctx.Done():
			return &answer{err: ctx.Err()}
		}
	}
	defer close(a.done)
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-ctx.Done():
		a.err = ctx.Err()
		return a
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = RegistryTimeout
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if q.platform != "" {
		a.digest, a.created, a.err = askCreated(qctx, q)
		return a
	}
	a.digest, a.isIndex, a.children, a.err = ask(qctx, q)
	return a
}

// askCreated asks for the digest and creation date (from its config) of
// the image q.ref names for q.platform.
func askCreated(ctx context.Context, q question) (string, time.Time, error) {
	var opts []name.Option
	if q.insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(q.ref, opts...)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("not an image reference: %w", err)
	}
	plat, err := v1.ParsePlatform(q.platform)
	if err != nil {
		return "", time.Time{}, err
	}
	kc, err := configKeychain(q.configDir)
	if err != nil {
		return "", time.Time{}, err
	}
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithUserAgent("kompose"), remote.WithPlatform(*plat))
	if err != nil {
		return "", time.Time{}, registryError(err, ref, q.configDir)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", time.Time{}, registryError(err, ref, q.configDir)
	}
	d, err := img.Digest()
	if err != nil {
		return "", time.Time{}, err
	}
	if cfg.Created.IsZero() {
		return "", time.Time{}, fmt.Errorf("%s: the image's config has no creation date", q.ref)
	}
	return d.String(), cfg.Created.Time, nil
}

// ask puts q to the registry.
func ask(ctx context.Context, q question) (digest string, isIndex bool, children []string, err error) {
	var opts []name.Option
	if q.insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(q.ref, opts...)
	if err != nil {
		return "", false, nil, fmt.Errorf("not an image reference: %w", err)
	}
	kc, err := configKeychain(q.configDir)
	if err != nil {
		return "", false, nil, err
	}
	ro := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithUserAgent("kompose")}
	if !q.index {
		d, err := remote.Head(ref, ro...)
		if err != nil {
			return "", false, nil, registryError(err, ref, q.configDir)
		}
		return d.Digest.String(), d.MediaType.IsIndex(), nil, nil
	}
	d, err := remote.Get(ref, ro...)
	if err != nil {
		return "", false, nil, registryError(err, ref, q.configDir)
	}
	if !d.MediaType.IsIndex() {
		return d.Digest.String(), false, nil, nil
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return "", false, nil, fmt.Errorf("the registry's manifest list: %w", err)
	}
	for _, m := range im.Manifests {
		children = append(children, m.Digest.String())
	}
	return d.Digest.String(), true, children, nil
}

// registryError says what went wrong asking ref's registry, shortly: a
// refusal with its HTTP status and where the credentials came from, a
// registry out of reach with why, a timeout as one.
func registryError(err error, ref name.Reference, configDir string) error {
	reg := ref.Context().RegistryStr()
	var te *transport.Error
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: no answer within %s", reg, RegistryTimeout)
	case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
		creds := "no docker config"
		if configDir != "" {
			creds = "credentials from " + filepath.Join(configDir, "config.json")
		}
		return fmt.Errorf("%s refused: HTTP %d %s (%s)", reg, te.StatusCode, http.StatusText(te.StatusCode), creds)
	case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s has no %s (HTTP 404)", reg, ref.Identifier())
	case errors.As(err, &op):
		return fmt.Errorf("cannot reach %s: %v", reg, op.Err)
	}
	return err
}

// configKeychain reads the credentials in dir/config.json (and its
// credential helpers) as the docker CLI does for a user whose
// DOCKER_CONFIG is dir. Only dir is read, never the config that kompose's
// own environment names.
func configKeychain(dir string) (authn.Keychain, error) {
	if dir == "" {
		return authn.NewMultiKeychain(), nil
	}
	cf, err := config.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the docker config in %s: %w", dir, err)
	}
	return fileKeychain{cf: cf}, nil
}

// fileKeychain is one docker config file's credentials.
type fileKeychain struct{ cf *configfile.ConfigFile }

// Resolve implements authn.Keychain as go-containerregistry's default
// keychain does, from one config file.
func (k fileKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	var cfg, empty types.AuthConfig
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		var err error
		if cfg, err = k.cf.GetAuthConfig(key); err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", target.RegistryStr(), err)
		}
		cfg.ServerAddress = ""
		if cfg != empty {
			break
		}
	}
	if cfg == empty {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      cfg.Username,
		Password:      cfg.Password,
		Auth:          cfg.Auth,
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
	}), nil
}

// dockerConfigDir is the docker config folder the docker CLI would read
// with environment lookup (the stack's): $DOCKER_CONFIG, else
// $HOME/.docker, else the invoking user's home's .docker.
func dockerConfigDir(lookup func(string) (string, bool)) string {
	if d, ok := lookup("DOCKER_CONFIG"); ok && d != "" {
		return d
	}
	if h, ok := lookup("HOME"); ok && h != "" {
		return filepath.Join(h, ".docker")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".docker")
	}
	return ""
}

// engineRegs is what an engine says about registries: which it reaches
// without TLS.
type engineRegs struct {
	once sync.Once
	cfg  registryConfig
	err  error
	// view is the engine's containers and images, read once for all
	// the stacks the check finds on it.
	viewOnce sync.Once
	view     *engineView
	viewErr  error
}

// platform is the engine's OS and architecture as image platforms name
// them (docker info says x86_64 where images say amd64).
func (c registryConfig) platform() string {
	arch := c.Architecture
	switch arch {
	case "x86_64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	case "armv7l", "armhf":
		arch = "arm"
	case "i386", "i686":
		arch = "386"
	}
	return c.OSType + "/" + arch
}

// registryConfig is the part of docker info's RegistryConfig kompose
// reads.
type registryConfig struct {
	IndexConfigs map[string]struct {
		Secure bool
	}
	InsecureRegistryCIDRs []string
	// OSType and Architecture are the engine's (docker info), for the
	// platform whose creation date --min-age reads.
	OSType, Architecture string `json:"-"`
}

// engineConfig returns the registry config of the engine that e talks to
// (asked once per engine and run).
func (r *Registries) engineConfig(ctx context.Context, e *engine, key string) (registryConfig, error) {
	r.mu.Lock()
	er, ok := r.engines[key]
	if !ok {
		er = &engineRegs{}
		r.engines[key] = er
	}
	r.mu.Unlock()
	er.once.Do(func() {
		out, err := e.out(ctx, "docker", "info", "--format", "{{.OSType}} {{.Architecture}} {{json .RegistryConfig}}")
		if err != nil {
			er.err = err
			return
		}
		f := strings.SplitN(strings.TrimSpace(out), " ", 3)
		if len(f) != 3 {
			er.err = fmt.Errorf("docker info: unexpected output %q", out)
			return
		}
		if err := json.Unmarshal([]byte(f[2]), &er.cfg); err != nil {
			er.err = fmt.Errorf("docker info: the registry config: %w", err)
		}
		er.cfg.OSType, er.cfg.Architecture = f[0], f[1]
	})
	return er.cfg, er.err
}

// engineView returns the containers and images of the engine e talks to
// (read once per engine and run; key as for engineConfig).
func (r *Registries) engineView(ctx context.Context, e *engine, key string) (*engineView, error) {
	r.mu.Lock()
	er, ok := r.engines[key]
	if !ok {
		er = &engineRegs{}
		r.engines[key] = er
	}
	r.mu.Unlock()
	er.viewOnce.Do(func() { er.view, er.viewErr = readView(ctx, e) })
	return er.view, er.viewErr
}

// insecure says whether the engine would reach registry host (host or
// host:port) without TLS, as the docker daemon decides: the host's entry
// in IndexConfigs when it has one, else whether one of its addresses is in
// InsecureRegistryCIDRs (127.0.0.0/8 by default, so localhost and
// 127.0.0.1 are). lookupIP resolves a name.
func (c registryConfig) insecure(host string, lookupIP func(string) ([]net.IP, error)) bool {
	if ic, ok := c.IndexConfigs[host]; ok {
		return !ic.Secure
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	var ips []net.IP
	if ip := net.ParseIP(h); ip != nil {
		ips = []net.IP{ip}
	} else if got, err := lookupIP(h); err == nil {
		ips = got
	}
	for _, cidr := range c.InsecureRegistryCIDRs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			continue
		}
		for _, ip := range ips {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}
