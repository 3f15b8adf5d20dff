package run

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// hookEnvDir is the private folder of one run that holds the $KOMPOSE_ENV
// files of its hooks: made by kompose (mode 0700, a fresh random name), each
// file created new (O_EXCL, O_NOFOLLOW, mode 0600) and removed after its
// hook, the folder removed at the end of the run.
type hookEnvDir struct {
	mu  sync.Mutex // stacks may one day run side by side
	dir string
	n   int
}

// create makes the $KOMPOSE_ENV file of one hook, empty, and returns its
// path.
func (h *hookEnvDir) create() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dir == "" {
		d, err := os.MkdirTemp(envParent(), "kompose-env-")
		if err != nil {
			if d, err = os.MkdirTemp("", "kompose-env-"); err != nil {
				return "", fmt.Errorf("KOMPOSE_ENV folder: %w", err)
			}
		}
		h.dir = d
	}
	h.n++
	p := filepath.Join(h.dir, "env-"+strconv.Itoa(h.n))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return "", fmt.Errorf("KOMPOSE_ENV file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("KOMPOSE_ENV file: %w", err)
	}
	return p, nil
}

// envParent is where the folder is made: $TMPDIR when set, else /dev/shm
// (memory: creating a file there costs microseconds, where on a journalled
// disk it can cost most of a millisecond, for every hook) when it is a
// folder with the sticky bit, else the system's temporary folder. The
// folder itself is private (0700) wherever it is.
func envParent() string {
	if v := os.Getenv("TMPDIR"); v != "" {
		return v
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && fi.Mode()&os.ModeSticky != 0 {
		return "/dev/shm"
	}
	return os.TempDir()
}

// drop removes one hook's file.
func (h *hookEnvDir) drop(path string) {
	if path != "" {
		_ = os.Remove(path)
	}
}

// remove removes the folder and whatever is left in it.
func (h *hookEnvDir) remove() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dir != "" {
		_ = os.RemoveAll(h.dir)
		h.dir = ""
	}
}

// maxEnvFile is the most kompose reads of one $KOMPOSE_ENV file.
const maxEnvFile = 1 << 20

// readEnvFile reads a $KOMPOSE_ENV file without following a symlink a
// hook may have put in its place.
func readEnvFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // the hook removed it: it passes nothing on
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxEnvFile {
		return nil, fmt.Errorf("larger than %d bytes", maxEnvFile)
	}
	return b, nil
}

// passedEnv is what the hooks of one stack passed on so far, as
// KEY=VALUE entries, later ones last (and winning).
type passedEnv struct {
	environ []string
}

// EnvReporter is implemented by reporters that show what a hook passed on
// through $KOMPOSE_ENV.
type EnvReporter interface {
	// HookEnv is called after hook step st succeeded with the variables
	// it passed on and the lines left out (problems name the line, never
	// a value).
	HookEnv(s *plan.Stack, st *plan.Step, vars []hooks.Assignment, problems []string)
}

// passOn reads what the hook of st wrote to envFile and adds it to passed
// for the later steps of the stack.
func (r *Runner) passOn(s *plan.Stack, st *plan.Step, envFile string, passed *passedEnv) {
	if envFile == "" {
		return
	}
	b, err := readEnvFile(envFile)
	var vars []hooks.Assignment
	var problems []string
	if err != nil {
		problems = []string{fmt.Sprintf("%s: $%s cannot be read (%v); nothing passed on", st.Label, hooks.VarEnvFile, err)}
	} else if len(b) > 0 {
		vars, problems = hooks.ParseEnvFile(b, st.Label+": $"+hooks.VarEnvFile)
	}
	var secrets []string
	for _, v := range vars {
		passed.environ = append(passed.environ, v.Name+"="+v.Value)
		if s.Masker.IsSecret(v.Name) {
			secrets = append(secrets, v.Value)
		}
	}
	if len(secrets) > 0 {
		// A secret passed on is masked in everything shown of the stack
		// from now on, this step's own lines included.
		s.Masker = s.Masker.WithValues(secrets...)
	}
	if er, ok := r.Reporter.(EnvReporter); ok && (len(vars) > 0 || len(problems) > 0) {
		er.HookEnv(s, st, vars, problems)
	}
}
