package update

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// Pulls pulls, once per run, every distinct image of all the stacks an
// update was planned for, one pull per image and engine, before the
// first of those stacks compares and recreates anything. The stacks
// register when their update is planned ([Commands]); the first update
// to run pulls for all of them, the others wait for it and read what
// their references named before and after.
type Pulls struct {
	parallel atomic.Int64

	mu     sync.Mutex
	stacks []*plan.Stack
	once   sync.Once
	result map[pullKey]*pullResult
	// refs are the images each stack uses, once pullAll ran.
	refs map[*plan.Stack][]pullKey
	// minAge, when set, holds back an image the registry created less
	// than that long ago (asked through regs, measured by now).
	minAge time.Duration
	// exclude are the services --exclude-service holds back.
	exclude []string
	regs    *Registries
	now     func() time.Time
}

// configure sets what the run's update options ask of the pulls: the
// same for every stack of a run.
func (p *Pulls) configure(minAge time.Duration, exclude []string, regs *Registries, now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.minAge, p.exclude, p.regs, p.now = minAge, exclude, regs, now
}

// NewPulls returns an empty Pulls pulling one image at a time.
func NewPulls() *Pulls {
	p := &Pulls{}
	p.parallel.Store(1)
	return p
}

// SetParallel sets how many pulls run at once (-j).
func (p *Pulls) SetParallel(n int) {
	if n < 1 {
		n = 1
	}
	p.parallel.Store(int64(n))
}

func (p *Pulls) add(s *plan.Stack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stacks = append(p.stacks, s)
}

// pullKey is an image reference on one engine.
type pullKey struct{ engine, ref string }

// pullResult is what one pull did: the image the reference named before
// and after it, and its error.
type pullResult struct {
	before, after string
	err           error
	// by names the stack and service whose compose pull it was.
	by string
	// held, when set, says why the image was not pulled (--min-age).
	held string
}

// engineKey names the engine a stack's environment talks to.
func engineKey(s *plan.Stack) string {
	host, _ := s.Env.Lookup("DOCKER_HOST")
	ctx, _ := s.Env.Lookup("DOCKER_CONTEXT")
	return host + "\x00" + ctx
}

// pullJob is one distinct image to pull: through the compose command of
// the first stack that names it, for its service.
type pullJob struct {
	key     pullKey
	stack   *plan.Stack
	service string
	users   int // how many stacks use it
}

// pullAll pulls every registered stack's images, once; ex is the action
// environment of the stack that runs first (its streams get the pull
// phase's output, masked).
func (p *Pulls) pullAll(ctx context.Context, ex *plan.ActionEnv, w io.Writer) {
	p.once.Do(func() {
		p.mu.Lock()
		stacks := append([]*plan.Stack(nil), p.stacks...)
		p.mu.Unlock()
		p.refs = map[*plan.Stack][]pullKey{}
		jobs := p.jobs(ctx, stacks)
		p.result = make(map[pullKey]*pullResult, len(jobs))
		for _, j := range jobs {
			p.result[j.key] = &pullResult{by: j.stack.Name + "/" + j.service}
		}
		if len(jobs) == 0 {
			return
		}
		fmt.Fprintf(w, "pulling %d distinct image(s) for %d stack(s), %d at a time\n", len(jobs), len(stacks), p.parallel.Load())
		sem := make(chan struct{}, p.parallel.Load())
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				p.pullOne(ctx, ex, j, w)
			}()
		}
		wg.Wait()
	})
}

// jobs are the distinct images of stacks, in the order of the stacks and
// their services. A stack whose project does not load is left out (its
// own update says why).
func (p *Pulls) jobs(ctx context.Context, stacks []*plan.Stack) []pullJob {
	var jobs []pullJob
	index := map[pullKey]int{}
	for _, s := range stacks {
		_, svcs, err := services(ctx, s)
		if err != nil {
			continue
		}
		svcs = exclude(svcs, p.exclude)
		for _, sv := range svcs {
			if !sv.Pull {
				continue
			}
			k := pullKey{engine: engineKey(s), ref: sv.Image}
			p.refs[s] = append(p.refs[s], k)
			if i, ok := index[k]; ok {
				jobs[i].users++
				continue
			}
			index[k] = len(jobs)
			jobs = append(jobs, pullJob{key: k, stack: s, service: sv.Name, users: 1})
		}
	}
	return jobs
}

// pullOne pulls j's image through its stack's compose command and
// records what its reference named before and after. A failed pull
// points the reference back at the image it named before.
func (p *Pulls) pullOne(ctx context.Context, ex *plan.ActionEnv, j pullJob, w io.Writer) {
	r := p.result[j.key]
	sub := *ex
	sub.Stack = j.stack
	sub.Cmd.Dir, sub.Cmd.Env = j.stack.Dir, j.stack.Env.Environ()
	e, err := newEngine(&sub)
	if err != nil {
		r.err = err
		return
	}
	if r.before, r.err = e.imageID(ctx, j.key.ref); r.err != nil {
		return
	}
	if p.minAge > 0 {
		if r.held, r.err = p.ageGate(ctx, e, j); r.err != nil || r.held != "" {
			r.after = r.before
			if r.held != "" {
				fmt.Fprintf(w, "held back %s (for %d stack(s)): %s\n", j.key.ref, j.users, r.held)
			}
			return
		}
	}
	var out syncBuffer
	e.ex.Cmd.Stdout, e.ex.Cmd.Stderr = &out, &out
	if err := e.stream(ctx, e.composeArgv("pull", "--quiet", j.service)...); err != nil {
		r.err = err
		if now, ierr := e.imageID(ctx, j.key.ref); ierr == nil && now != r.before && r.before != "" {
			_ = e.tag(ctx, r.before, j.key.ref)
		}
		fmt.Fprintf(w, "pull %s (for %d stack(s)) failed: %v\n", j.key.ref, j.users, err)
		return
	}
	r.after, r.err = e.imageID(ctx, j.key.ref)
	what := "up to date"
	if r.after != r.before {
		what = Short(r.before) + " → " + Short(r.after)
	}
	fmt.Fprintf(w, "pulled %s (for %d stack(s)): %s\n", j.key.ref, j.users, what)
}

// ageGate asks the registry when it created j's image for the engine's
// platform; it returns why the image is held back ("" when old enough).
func (p *Pulls) ageGate(ctx context.Context, e *engine, j pullJob) (string, error) {
	lookup := j.stack.Env.Lookup
	cfgDir := dockerConfigDir(lookup)
	host, _ := lookup("DOCKER_HOST")
	dctx, _ := lookup("DOCKER_CONTEXT")
	cfg, err := p.regs.engineConfig(ctx, e, host+"\x00"+dctx+"\x00"+cfgDir)
	if err != nil {
		return "", err
	}
	c := &Check{}
	q := question{ref: j.key.ref, configDir: cfgDir, insecure: c.insecure(cfg, j.key.ref), platform: cfg.platform()}
	a := p.regs.remoteDigest(ctx, q)
	if a.err != nil {
		return "", fmt.Errorf("--min-age: %w", a.err)
	}
	why, young := tooNew(a.created, p.now(), p.minAge)
	if !young {
		return "", nil
	}
	return why, nil
}

// ids returns, for the pulled services of s, the image each reference
// named before and after the run's pulls; err is the first failed pull
// among them.
func (p *Pulls) ids(s *plan.Stack, svcs []Service) (before, after, held map[string]string, ok bool, err error) {
	before, after, held = map[string]string{}, map[string]string{}, map[string]string{}
	var refs []string
	for _, sv := range svcs {
		if sv.Pull {
			refs = append(refs, sv.Image)
		}
	}
	sort.Strings(refs)
	for _, ref := range refs {
		r, found := p.result[pullKey{engine: engineKey(s), ref: ref}]
		if !found {
			return nil, nil, nil, false, nil // not planned with the others: pull it itself
		}
		if r.err != nil {
			return nil, nil, nil, true, fmt.Errorf("%s (pulled for %s): %w", ref, r.by, r.err)
		}
		before[ref], after[ref] = r.before, r.after
		if r.held != "" {
			held[ref] = r.held
		}
	}
	return before, after, held, true, nil
}

// restorable returns the references of s that the run's pulls moved and
// that no other stack whose pulls all succeeded uses: those s, whose own
// pull failed, points back at what they named before, so that a later up
// of s does not start half an update. A reference a succeeding stack uses
// stays on the new image (that stack recreates on it). The map is
// reference -> image it named before.
func (p *Pulls) restorable(s *plan.Stack) map[string]string {
	ok := func(t *plan.Stack) bool {
		for _, k := range p.refs[t] {
			if p.result[k].err != nil {
				return false
			}
		}
		return true
	}
	out := map[string]string{}
	for _, k := range p.refs[s] {
		r := p.result[k]
		if r.err != nil || r.before == "" || r.after == r.before {
			continue
		}
		shared := false
		for t, ks := range p.refs {
			if t != s && slices.Contains(ks, k) && ok(t) {
				shared = true
				break
			}
		}
		if !shared {
			out[k.ref] = r.before
		}
	}
	return out
}

// syncBuffer is where a pull's own output goes: discarded, but written
// from several pulls at once.
type syncBuffer struct{}

func (syncBuffer) Write(b []byte) (int, error) { return len(b), nil }
