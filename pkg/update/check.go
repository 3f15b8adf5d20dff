package update

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// Check is update --check on one stack: it compares, per service, the
// registry's digest of the image reference with the digest of the image
// the service's container runs, and changes nothing.
type Check struct {
	Regs *Registries
	// LookupIP resolves a registry's host name (net.LookupIP when nil),
	// to decide whether the engine reaches it without TLS.
	LookupIP func(string) ([]net.IP, error)
	// MinAge, when set, counts an update only when the registry's
	// image is at least that old (StateTooNew otherwise); Now is the
	// clock it is measured by.
	MinAge time.Duration
	// Exclude are the services --exclude-service holds back.
	Exclude []string
	Now     func() time.Time
	args    []string
	found   []ServiceCheck
}

// The states of a checked service.
const (
	StateUpToDate  = "up to date"
	StateAvailable = "update available"
	StateNotPulled = "not pulled"
	StateUnknown   = "unknown"
	StatePinned    = "pinned by digest"
	StateFailed    = "check failed"
	StateTooNew    = "update too new"
	StateHeld      = "held back"
)

// ServiceCheck is what update --check found for one service (see
// [plan.ImageCheck]).
type ServiceCheck plan.ImageCheck

// ImageChecks implements [plan.ImageChecker]: what Run found.
func (c *Check) ImageChecks() []plan.ImageCheck {
	out := make([]plan.ImageCheck, len(c.found))
	for i, sc := range c.found {
		out[i] = plan.ImageCheck(sc)
	}
	return out
}

// HookArgs are the arguments of the update hooks (which do not run for a
// check: see NoHooks).
func (c *Check) HookArgs() []string { return append([]string{CommandUpdate}, c.args...) }

// NoHooks tells the planner that update --check runs no hooks: it
// changes nothing, so there is nothing for a pre or post hook to prepare
// or follow up.
func (c *Check) NoHooks() bool { return true }

// Describe says what the check would do, for a dry run.
func (c *Check) Describe() []string {
	return []string{
		"ask each image's registry for the digest of its reference (once per distinct reference in the whole run, with the credentials of the stack's docker config)",
		"compare it with the digest of the image each service's container runs (docker image inspect); nothing is pulled, recreated or recorded",
	}
}

// Run implements [plan.Action].
func (c *Check) Run(ctx context.Context, ex *plan.ActionEnv) error {
	ss, err := begin(ctx, ex)
	if err != nil {
		return err
	}
	checks, err := c.check(ctx, ex, ss)
	if err != nil {
		return err
	}
	c.found = checks
	if err := saveCheck(ex.Stack.Policy, ex.Stack, c.Now(), checks); err != nil {
		fmt.Fprintf(mask(ex, ex.Cmd.Stderr), "warning: the check's result is not kept for status: %v\n", err)
	}
	failed := 0
	for _, sc := range checks {
		fmt.Fprintln(ss.w, sc.Line())
		if sc.State == StateFailed {
			failed++
		}
	}
	if len(checks) == 0 {
		fmt.Fprintln(ss.w, "nothing to check: no service has an image to pull")
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d services could not be checked (their lines above say why)", failed, len(checks))
	}
	return nil
}

// Line is sc as the output shows it.
func (sc ServiceCheck) Line() string {
	switch sc.State {
	case StateAvailable:
		return fmt.Sprintf("%s: %s update available (%s → %s)", sc.Service, sc.Image, ShortDigest(sc.Local), ShortDigest(sc.Remote))
	case StateNotPulled:
		return fmt.Sprintf("%s: %s not pulled (the registry has %s)", sc.Service, sc.Image, ShortDigest(sc.Remote))
	case StateTooNew:
		return fmt.Sprintf("%s: %s %s (%s → %s): %s", sc.Service, sc.Image, sc.State, ShortDigest(sc.Local), ShortDigest(sc.Remote), sc.Why)
	case StateUnknown, StateFailed, StateHeld:
		return fmt.Sprintf("%s: %s %s: %s", sc.Service, sc.Image, sc.State, sc.Why)
	default:
		return fmt.Sprintf("%s: %s %s", sc.Service, sc.Image, sc.State)
	}
}

// ShortDigest is a digest as the output shows it.
func ShortDigest(d string) string { return Short(d) }

// check finds the state of every pulled service of the stack.
func (c *Check) check(ctx context.Context, ex *plan.ActionEnv, ss *session) ([]ServiceCheck, error) {
	e := ss.e
	ss.svcs = exclude(ss.svcs, c.Exclude)
	lookup := ex.Stack.Env.Lookup
	cfgDir := dockerConfigDir(lookup)
	host, _ := lookup("DOCKER_HOST")
	dctx, _ := lookup("DOCKER_CONTEXT")
	regCfg, err := c.Regs.engineConfig(ctx, e, host+"\x00"+dctx+"\x00"+cfgDir)
	if err != nil {
		return nil, err
	}
	// The engine's containers and images, read once for every stack on
	// it (engineView), not three or four docker processes per stack.
	view, err := c.Regs.engineView(ctx, e, host+"\x00"+dctx+"\x00"+cfgDir)
	if err != nil {
		return nil, err
	}
	cts := view.containers[ss.project]
	// What each service runs: its container's image, else the image its
	// reference names here (what up would start).
	runs := map[string]string{}
	refs := map[string]question{}
	for _, s := range ss.svcs {
		if !s.Pull || strings.Contains(s.Image, "@") {
			continue
		}
		id := runningImage(s.Name, cts)
		if id == "" {
			if id, err = c.localImage(ctx, e, view, s.Image); err != nil {
				return nil, err
			}
		}
		runs[s.Name] = id
		refs[s.Image] = question{ref: s.Image, configDir: cfgDir, insecure: c.insecure(regCfg, s.Image)}
	}
	digests, err := view.repoDigests(ctx, e, runs)
	if err != nil {
		return nil, err
	}
	answers := c.askAll(ctx, refs)
	var out []ServiceCheck
	for _, s := range ss.svcs {
		if s.Held != "" {
			out = append(out, ServiceCheck{Service: s.Name, Image: s.Image, State: StateHeld, Why: s.Held})
		}
		if !s.Pull {
			continue
		}
		sc := ServiceCheck{Service: s.Name, Image: s.Image}
		if strings.Contains(s.Image, "@") {
			sc.State = StatePinned
		} else {
			c.compare(ctx, &sc, refs[s.Image], answers[s.Image], runs[s.Name], digests[runs[s.Name]])
			if c.MinAge > 0 && (sc.State == StateAvailable || sc.State == StateNotPulled) {
				c.ageGate(ctx, &sc, refs[s.Image], regCfg.platform())
			}
		}
		out = append(out, sc)
	}
	return out, nil
}

// localImage is the image ref names on the engine: the view's answer,
// or docker's when the reference is one the view cannot parse.
func (c *Check) localImage(ctx context.Context, e *engine, view *engineView, ref string) (string, error) {
	if id, ok := view.imageID(ref); ok {
		return id, nil
	}
	return e.imageID(ctx, ref)
}

// ageGate turns an update whose image the registry created less than
// MinAge ago into StateTooNew (one more question: the image's config).
func (c *Check) ageGate(ctx context.Context, sc *ServiceCheck, q question, platform string) {
	q.platform = platform
	a := c.Regs.remoteDigest(ctx, q)
	if a.err != nil {
		sc.State, sc.Why = StateFailed, "--min-age: "+a.err.Error()
		return
	}
	if why, young := tooNew(a.created, c.Now(), c.MinAge); young {
		sc.State, sc.Why = StateTooNew, why
	}
}

// tooNew says whether an image created at created is younger than minAge
// at now, and why.
func tooNew(created, now time.Time, minAge time.Duration) (string, bool) {
	age := now.Sub(created)
	if age >= minAge {
		return "", false
	}
	return fmt.Sprintf("created %s (%s ago), younger than --min-age %s", created.UTC().Format(time.RFC3339), age.Round(time.Minute), minAge), true
}

// insecure says whether the engine reaches ref's registry without TLS.
func (c *Check) insecure(cfg registryConfig, ref string) bool {
	r, err := name.ParseReference(ref)
	if err != nil {
		return false
	}
	lookupIP := c.LookupIP
	if lookupIP == nil {
		lookupIP = net.LookupIP
	}
	return cfg.insecure(r.Context().RegistryStr(), lookupIP)
}

// askAll asks every question at once and returns the answers by
// reference.
func (c *Check) askAll(ctx context.Context, qs map[string]question) map[string]*answer {
	out := make(map[string]*answer, len(qs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ref, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := c.Regs.remoteDigest(ctx, q)
			mu.Lock()
			out[ref] = a
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// compare fills sc's state from the registry's answer a to q, the image
// the service runs and that image's repository digests.
func (c *Check) compare(ctx context.Context, sc *ServiceCheck, q question, a *answer, runs string, repoDigests []string) {
	if a.err != nil {
		sc.State, sc.Why = StateFailed, a.err.Error()
		return
	}
	sc.Remote = a.digest
	if runs == "" {
		sc.State = StateNotPulled
		return
	}
	local := sameRepo(q.ref, repoDigests)
	if len(local) == 0 {
		sc.State, sc.Why = StateUnknown, "the image it runs has no digest from this repository (built or tagged here, not pulled)"
		return
	}
	sc.Local = local[0]
	for _, d := range local {
		if d == a.digest {
			sc.State, sc.Local = StateUpToDate, d
			return
		}
	}
	if a.isIndex {
		// The registry has a manifest list; the image may have been
		// pulled by its platform manifest's digest.
		iq := q
		iq.index = true
		ia := c.Regs.remoteDigest(ctx, iq)
		if ia.err != nil {
			sc.State, sc.Why = StateFailed, ia.err.Error()
			return
		}
		for _, ch := range ia.children {
			for _, d := range local {
				if d == ch {
					sc.State, sc.Local = StateUpToDate, d
					return
				}
			}
		}
	}
	sc.State = StateAvailable
}

// sameRepo returns the digests of repoDigests (repo@sha256:…) that are
// of ref's repository.
func sameRepo(ref string, repoDigests []string) []string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil
	}
	var out []string
	for _, rd := range repoDigests {
		d, err := name.NewDigest(rd)
		if err != nil || d.Context().Name() != r.Context().Name() {
			continue
		}
		out = append(out, d.DigestStr())
	}
	return out
}

// runningImage is the image a container of service runs: a running one's
// first, else a stopped one's.
func runningImage(service string, cts []Container) string {
	id := ""
	for _, ct := range cts {
		if ct.Service != service {
			continue
		}
		if ct.Running {
			return ct.ImageID
		}
		if id == "" {
			id = ct.ImageID
		}
	}
	return id
}

// repoDigests returns the RepoDigests of each image ID of runs, in one
// docker image inspect.
func (e *engine) repoDigests(ctx context.Context, runs map[string]string) (map[string][]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, id := range runs {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	text, err := e.out(ctx, append([]string{"docker", "image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "--"}, ids...)...)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		id, js, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || !imageID.MatchString(id) {
			return nil, fmt.Errorf("docker image inspect: unexpected line %q", line)
		}
		var ds []string
		if err := json.Unmarshal([]byte(js), &ds); err != nil {
			return nil, fmt.Errorf("docker image inspect: the RepoDigests of %s: %w", Short(id), err)
		}
		out[id] = ds
	}
	return out, nil
}
