//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/hostclean"
)

// The images the fixtures use, built by scripts/build-images.sh.
const (
	debianImage   = "kompose-test/debian:bookworm"
	postgresImage = "kompose-test/postgres:15"
)

const (
	// projectPrefix starts the compose project name of everything the
	// suite creates: kompose-e2e-<run>-<test>-<stack>.
	projectPrefix = "kompose-e2e-"
	// requireVar makes a missing dependency a failure (CI sets it).
	requireVar = "KOMPOSE_REQUIRE_ALL"
	// staleAfter is the age after which a project of another run is
	// taken as left behind by a run that was killed, and removed.
	staleAfter = 30 * time.Minute

	// Set for the copy of the test binary that TestCleanupAfterFailure
	// runs: its run id, the kompose binary to reuse, and what to do.
	helperRunVar  = "KOMPOSE_E2E_RUN_ID"
	helperBinVar  = "KOMPOSE_E2E_BIN"
	helperModeVar = "KOMPOSE_E2E_HELPER"
)

// suite is what every test shares. TestMain sets it up once.
type suite struct {
	kompose string // the kompose binary under test
	runID   string // kompose-e2e-<start time>-<random>
	skip    string // why the suite cannot run here; "" when it can
	v1      string // the docker-compose (v1) program, "" when absent
	// subnets hands out one /24 of 10.213.0.0/16 per network a fixture
	// declares, so that the suite never needs Docker's default address
	// pools (a busy engine may have used them all up).
	subnets atomic.Uint32
	procs   procs
	// started are the second engines and SSH servers running (hosts_test.go).
	started startedSet
}

// the is the suite of this test binary; TestMain sets it before any test
// runs and nothing changes it afterwards.
var the *suite

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	flag.Parse()
	s := &suite{runID: os.Getenv(helperRunVar)}
	if s.runID == "" {
		s.runID = newRunID(time.Now())
	}
	var rnd [1]byte
	_, _ = rand.Read(rnd[:])
	s.subnets.Store(uint32(rnd[0]))
	the = s

	ctx := context.Background()
	if reason := missingDependency(ctx); reason != "" {
		if os.Getenv(requireVar) == "1" {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s; %s=1 makes the end-to-end suite required\n", reason, requireVar)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: SKIP: every end-to-end test is skipped: %s (with %s=1 this fails)\n", reason, requireVar)
		s.skip = reason
		return m.Run()
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		s.v1 = p
	}

	if bin := os.Getenv(helperBinVar); bin != "" {
		s.kompose = bin
	} else {
		dir, err := os.MkdirTemp("", "kompose-e2e-bin-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		s.kompose = filepath.Join(dir, "kompose")
		build := exec.Command("go", "build", "-o", s.kompose, "../cmd/kompose")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building kompose: %v\n", err)
			return 1
		}
		sweepStale(ctx, time.Now())
		sweepStaleEngines(time.Now())
	}

	// The machine's engine must come out of the run as it went in: its
	// docker0 (which a test dockerd in the machine's network namespace
	// would delete) and its built-in networks.
	engineBefore := hostclean.MachineEngine(ctx)
	stop := guard(ctx, s)
	code := m.Run()
	stop()
	if err := hostclean.CheckMachineEngine(ctx, engineBefore); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		code = 1
	}

	// Every test removes what it started; anything still there is a bug
	// of the suite (or of kompose): report it, then remove it.
	left, err := listResources(ctx, s.runID+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: listing what the suite left behind: %v\n", err)
		return 1
	}
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: left behind after every test's clean-up:\n")
		for _, r := range left {
			fmt.Fprintf(os.Stderr, "    %s\n", r)
		}
		if err := removeProjects(ctx, s.runID+"-"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
		code = 1
	}
	return code
}

// newRunID names one run of the suite: its start time (so that a later run
// can tell stale left-overs) and a random part (so that runs sharing an
// engine never touch each other's projects).
func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return projectPrefix + strconv.FormatInt(now.Unix(), 36) + "-" + hex.EncodeToString(b[:])
}

// runStart is the start time encoded in a project name of the suite.
func runStart(project string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(project, projectPrefix)
	if !ok {
		return time.Time{}, false
	}
	stamp, _, _ := strings.Cut(rest, "-")
	sec, err := strconv.ParseInt(stamp, 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// missingDependency says what the suite needs and does not have, or "".
func missingDependency(ctx context.Context) string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker CLI in PATH"
	}
	if out, err := dockerOut(ctx, "info", "--format", "{{.ServerVersion}}"); err != nil {
		return "no Docker Engine reachable (docker info: " + firstLine(err.Error()) + ")"
	} else if strings.TrimSpace(out) == "" {
		return "no Docker Engine reachable (docker info printed no server version)"
	}
	if _, err := dockerOut(ctx, "compose", "version"); err != nil {
		return "the Compose v2 plugin is missing (docker compose version failed; scripts/provision.sh builds it)"
	}
	for _, img := range []string{debianImage, postgresImage} {
		if _, err := dockerOut(ctx, "image", "inspect", "--format", "{{.Id}}", img); err != nil {
			return "the image " + img + " is missing (scripts/provision.sh builds it)"
		}
	}
	return ""
}

// sweepStale removes the projects of earlier runs that are older than
// staleAfter: a run killed outright (SIGKILL, a machine reboot) could not
// clean up after itself.
func sweepStale(ctx context.Context, now time.Time) {
	all, err := listResources(ctx, projectPrefix)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: looking for stale projects: %v\n", err)
		return
	}
	done := map[string]bool{}
	for _, r := range all {
		start, ok := runStart(r.Project)
		if !ok || now.Sub(start) < staleAfter || done[r.Project] {
			continue
		}
		done[r.Project] = true
		fmt.Fprintf(os.Stderr, "e2e: removing stale project %s (started %s)\n", r.Project, start.Format(time.RFC3339))
		if err := removeProjects(ctx, r.Project); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
	}
}

// guard removes everything of this run when the test binary is about to
// die without running the tests' clean-ups: on SIGINT/SIGTERM, and shortly
// before go test's -timeout panics. It returns a function that disarms it;
// when a tear-down is under way, that function waits for it (and, after a
// signal, never returns: the process exits with status 130).
func guard(ctx context.Context, s *suite) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "e2e: %v: stopping kompose and removing every project of this run\n", sig)
			s.teardown(ctx)
			os.Exit(130)
		case <-done:
		}
		close(exited)
	}()
	var timer *time.Timer
	timerDone := make(chan struct{})
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 {
			margin := min(d/4, 20*time.Second)
			timer = time.AfterFunc(d-margin, func() {
				defer close(timerDone)
				fmt.Fprintf(os.Stderr, "e2e: the -timeout (%v) is near: stopping kompose and removing every project of this run\n", d)
				s.teardown(ctx)
			})
		}
	}
	return func() {
		signal.Stop(sigs)
		close(done)
		<-exited
		if timer != nil && !timer.Stop() {
			<-timerDone
		}
	}
}

// teardown stops every process the tests started, then removes every
// project of the run: twice, for what the docker daemon was still creating
// for a client that has just been stopped.
func (s *suite) teardown(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	s.procs.stopAll(10 * time.Second)
	s.started.stopAll()
	for range 2 {
		if err := removeProjects(ctx, s.runID+"-"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
		time.Sleep(time.Second)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
