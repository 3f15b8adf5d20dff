// Package offsite stores kompose's backups (database dumps; volume
// archives once they exist) in a restic repository as they are written,
// lists what the repository holds, reads a stored backup back, and applies
// retention rules to it. It runs the `restic` program: kompose never
// re-implements its repository format, and every backend restic has
// (local, sftp, rest-server, S3, B2, …) works.
//
// A stack takes part when its environment has RESTIC_REPOSITORY (or
// RESTIC_REPOSITORY_FILE) and one of RESTIC_PASSWORD_FILE,
// RESTIC_PASSWORD or RESTIC_PASSWORD_COMMAND: restic's own names, read by
// restic from its environment. No password or credential is ever put in
// restic's arguments.
//
// The seam for writers ([Repo.Store]) is a stream: the writer of a dump
// or an archive tees what it writes into an [Upload], so the data is read
// once; the upload is committed only once the writer has verified what it
// wrote, and aborted (no snapshot) otherwise. Each snapshot is tagged
// `kompose`, `stack=<stack>`, `kind=<db|volume>` and `name=<database or
// volume>`, with --host the machine's name.
package offsite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The variables restic reads that make a stack take part.
const (
	VarRepository     = "RESTIC_REPOSITORY"
	VarRepositoryFile = "RESTIC_REPOSITORY_FILE"
	VarTimeout        = "KOMPOSE_OFFSITE_TIMEOUT"
)

// PasswordVars are restic's ways to be given the repository's password.
var passwordVars = [...]string{"RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND"}

// DefaultTimeout bounds one restic command (a backup of a large dump
// included); KOMPOSE_OFFSITE_TIMEOUT changes it.
const DefaultTimeout = time.Hour

// Program is the restic program kompose runs.
const Program = "restic"

// Kinds of backups.
const (
	KindDB     = "db"
	KindVolume = "volume"
)

// Tags say whose a snapshot is.
type Tags struct {
	Stack string
	Kind  string // KindDB or KindVolume
	Name  string // the database or volume
}

// List is the tags as restic gets them.
func (t Tags) List() []string {
	return []string{"kompose", "stack=" + t.Stack, "kind=" + t.Kind, "name=" + t.Name}
}

// filter is the --tag of a snapshots/forget/dump selecting exactly these
// snapshots (restic: all tags of one --tag must be present).
func (t Tags) filter() string { return strings.Join(t.List(), ",") }

// Configured reports whether an environment (looked up with get) names a
// restic repository; an error when it names one without a password (a
// repository restic could not open: better said before the dump runs).
func Configured(get func(string) (string, bool)) (bool, error) {
	repo, _ := get(VarRepository)
	repoFile, _ := get(VarRepositoryFile)
	if strings.TrimSpace(repo) == "" && strings.TrimSpace(repoFile) == "" {
		return false, nil
	}
	for _, v := range passwordVars {
		if s, ok := get(v); ok && s != "" {
			return true, nil
		}
	}
	return false, fmt.Errorf("%s is set but none of %s: restic could not open the repository", VarRepository, strings.Join(passwordVars[:], ", "))
}

// TimeoutFrom reads KOMPOSE_OFFSITE_TIMEOUT ("" is [DefaultTimeout]).
func TimeoutFrom(get func(string) (string, bool)) (time.Duration, error) {
	v, _ := get(VarTimeout)
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: not a positive duration (30m, 2h)", VarTimeout, v)
	}
	return d, nil
}

// Repo is the restic repository of one stack.
type Repo struct {
	// Program is the restic to run; "restic" (found on PATH) when "".
	Program string
	// Env is the whole environment of restic: the stack's, where restic
	// finds RESTIC_REPOSITORY, the password and the backend's
	// credentials.
	Env []string
	Dir string
	// Host is the --host of new snapshots; os.Hostname when "".
	Host string
	// Timeout bounds each restic command; DefaultTimeout when zero.
	Timeout time.Duration
}

// Snapshot is one snapshot of the repository.
type Snapshot struct {
	ID       string    `json:"id"`
	ShortID  string    `json:"short_id"`
	Time     time.Time `json:"time"`
	Paths    []string  `json:"paths"`
	Hostname string    `json:"hostname"`
	Tags     []string  `json:"tags"`
}

// File is the name of the one file the snapshot holds (kompose stores
// one stream per snapshot, as /<file>).
func (s Snapshot) File() string {
	if len(s.Paths) == 0 {
		return ""
	}
	return strings.TrimPrefix(s.Paths[0], "/")
}

// Error is a restic command that failed: its reason is restic's own
// (the Fatal line, else the last lines it printed).
type Error struct {
	Op     string // "backup", "snapshots", …
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("restic %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("restic %s: %s", e.Op, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

func (r *Repo) host() string {
	if r.Host != "" {
		return r.Host
	}
	h, _ := os.Hostname()
	return h
}

func (r *Repo) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// run runs restic with args; stdout goes to out. restic runs in a
// process group of its own, stopped (SIGTERM, then SIGKILL) when ctx ends
// or the timeout passes: an upload aborted before its stream ended must
// never become a snapshot, and pkg/proc stops a process only on a signal
// kompose received.
func (r *Repo) run(ctx context.Context, op string, in io.Reader, out io.Writer, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	var errb tailBuffer
	if out == nil {
		out = io.Discard
	}
	cmd := exec.CommandContext(ctx, r.program(), args...)
	cmd.Dir, cmd.Env, cmd.Stdin = r.Dir, r.Env, in
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		go func(pid int) {
			time.Sleep(killGrace)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}(cmd.Process.Pid)
		return nil
	}
	cmd.WaitDelay = killGrace + time.Second
	// restic's output through pipes of kompose's own: once restic has
	// ended, what it started (ssh for sftp) is killed, and the output is
	// read to its end without waiting for it.
	copies, err := pipeOutput(cmd, out, &errb)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	err = cmd.Start()
	closeWriteEnds(cmd)
	if err == nil {
		err = cmd.Wait()
		// Whatever restic started goes with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	copies.Wait()
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Op: op, Reason: fmt.Sprintf("no answer within %s (%s)", r.timeout(), VarTimeout), Err: err}
	}
	if ctx.Err() != nil {
		return &Error{Op: op, Reason: "stopped", Err: context.Cause(ctx)}
	}
	return &Error{Op: op, Reason: reason(errb.String()), Err: err}
}

// pipeOutput gives cmd a stdout and a stderr that are pipes kompose
// reads into out and errOut; the returned group ends when both are read
// to their end.
func pipeOutput(cmd *exec.Cmd, out, errOut io.Writer) (*sync.WaitGroup, error) {
	var wg sync.WaitGroup
	for _, dst := range []struct {
		w   io.Writer
		set func(*os.File)
	}{{out, func(f *os.File) { cmd.Stdout = f }}, {errOut, func(f *os.File) { cmd.Stderr = f }}} {
		pr, pw, err := os.Pipe()
		if err != nil {
			return &wg, err
		}
		dst.set(pw)
		wg.Add(1)
		go func(w io.Writer) {
			defer wg.Done()
			_, _ = io.Copy(w, pr)
			pr.Close()
		}(dst.w)
	}
	return &wg, nil
}

// closeWriteEnds closes kompose's copies of the output pipes' write ends
// (restic has its own once started).
func closeWriteEnds(cmd *exec.Cmd) {
	for _, w := range []io.Writer{cmd.Stdout, cmd.Stderr} {
		if f, ok := w.(*os.File); ok {
			f.Close()
		}
	}
}

// killGrace is how long restic has between SIGTERM and SIGKILL.
const killGrace = 5 * time.Second

func (r *Repo) program() string {
	if r.Program != "" {
		return r.Program
	}
	return Program
}

// reason is what restic said about a failure: its Fatal line and the
// next, else its first and last lines.
func reason(stderr string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "Fatal: ") {
			return strings.Join(lines[i:min(i+2, len(lines))], "; ")
		}
	}
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return lines[0]
	}
	// A locked repository: what holds the lock, then what to do.
	return lines[0] + "; " + lines[len(lines)-1]
}

// Upload is a backup under way: write the stream to it, then Commit once
// it is known complete, or Abort. Its writes never fail: once restic has
// stopped (an unreachable or locked repository), what is written is
// dropped and Commit returns restic's reason, so that the local backup
// being written beside it goes on.
type Upload struct {
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	failed bool
	err    error
	id     string
	// total is every byte written, stored what restic's summary says it
	// read (-1 when it does not say).
	total, stored int64
}

// Write implements io.Writer; it never fails.
func (u *Upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	failed := u.failed
	u.total += int64(len(p))
	u.mu.Unlock()
	if !failed {
		if _, err := u.pw.Write(p); err != nil {
			u.mu.Lock()
			u.failed = true
			u.mu.Unlock()
		}
	}
	return len(p), nil
}

// Commit ends the stream and waits for restic to store the snapshot; it
// returns the snapshot's short ID.
func (u *Upload) Commit() (string, error) {
	u.pw.Close()
	<-u.done
	u.cancel()
	u.mu.Lock()
	defer u.mu.Unlock()
	// A restic that stopped reading early and still reported a snapshot
	// stored part of the stream: not a copy.
	if u.err == nil && (u.failed || (u.stored >= 0 && u.stored != u.total)) {
		return "", &Error{Op: "backup", Reason: fmt.Sprintf("restic stored %d of %d bytes (snapshot %s is not a whole copy)", u.stored, u.total, u.id)}
	}
	return u.id, u.err
}

// Abort stops restic before the stream ends: no snapshot is made (what
// restic already uploaded is unreferenced and goes with the next prune).
func (u *Upload) Abort() {
	u.cancel()
	u.pw.CloseWithError(errors.New("aborted"))
	<-u.done
}

// Store starts `restic backup --stdin` of a stream stored as /file,
// tagged t. Everything written to the Upload goes to restic's standard
// input as it comes.
func (r *Repo) Store(ctx context.Context, file string, t Tags) *Upload {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	u := &Upload{pw: pw, cancel: cancel, done: make(chan struct{})}
	args := []string{"backup", "--json", "--stdin", "--stdin-filename", file, "--host", r.host()}
	for _, tag := range t.List() {
		args = append(args, "--tag", tag)
	}
	var out bytes.Buffer
	go func() {
		defer close(u.done)
		err := r.run(ctx, "backup", pr, &out, args...)
		// restic has ended: writes from now on are dropped.
		pr.CloseWithError(errors.New("restic ended"))
		id, stored := summaryID(out.Bytes())
		if err == nil && id == "" {
			err = &Error{Op: "backup", Reason: "restic reported no snapshot"}
		}
		u.mu.Lock()
		u.err, u.id, u.stored = err, id, stored
		u.mu.Unlock()
	}()
	return u
}

// StoreReader stores everything rd holds as /file, tagged t.
func (r *Repo) StoreReader(ctx context.Context, rd io.Reader, file string, t Tags) (string, error) {
	u := r.Store(ctx, file, t)
	if _, err := io.Copy(u, rd); err != nil {
		u.Abort()
		return "", err
	}
	return u.Commit()
}

// summaryID is the snapshot of restic backup --json's summary line, and
// the bytes restic says it read (-1 when the summary does not say).
func summaryID(out []byte) (string, int64) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	id, stored := "", int64(-1)
	for sc.Scan() {
		var m struct {
			Type  string `json:"message_type"`
			ID    string `json:"snapshot_id"`
			Bytes *int64 `json:"total_bytes_processed"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Type == "summary" {
			id, stored = m.ID, -1
			if m.Bytes != nil {
				stored = *m.Bytes
			}
		}
	}
	return id, stored
}

// Snapshots lists the snapshots tagged t, newest first.
func (r *Repo) Snapshots(ctx context.Context, t Tags) ([]Snapshot, error) {
	var out bytes.Buffer
	if err := r.run(ctx, "snapshots", nil, &out, "snapshots", "--json", "--tag", t.filter()); err != nil {
		return nil, err
	}
	var snaps []Snapshot
	if err := json.Unmarshal(out.Bytes(), &snaps); err != nil {
		return nil, &Error{Op: "snapshots", Reason: "unreadable answer: " + err.Error(), Err: err}
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Time.After(snaps[j].Time) })
	return snaps, nil
}

// Find returns the snapshot tagged t that id names: its short or full ID
// (or a prefix restic would take), "latest" or "" for the newest.
func (r *Repo) Find(ctx context.Context, t Tags, id string) (Snapshot, error) {
	snaps, err := r.Snapshots(ctx, t)
	if err != nil {
		return Snapshot{}, err
	}
	if len(snaps) == 0 {
		return Snapshot{}, fmt.Errorf("the restic repository holds no snapshot of %s %s of stack %s", t.Kind, t.Name, t.Stack)
	}
	if id == "" || id == "latest" {
		return snaps[0], nil
	}
	var found []Snapshot
	for _, s := range snaps {
		if strings.HasPrefix(s.ID, strings.ToLower(id)) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return Snapshot{}, fmt.Errorf("no snapshot %s of %s %s of stack %s in the restic repository", id, t.Kind, t.Name, t.Stack)
	case 1:
		return found[0], nil
	}
	return Snapshot{}, fmt.Errorf("snapshot ID %s is ambiguous: give more of it", id)
}

// Dump writes the file snapshot s holds to w.
func (r *Repo) Dump(ctx context.Context, s Snapshot, w io.Writer) error {
	if s.File() == "" {
		return fmt.Errorf("snapshot %s holds no file", s.ShortID)
	}
	return r.run(ctx, "dump", nil, w, "dump", s.ID, "/"+s.File())
}

// Forget applies retention rules (restic's own --keep-* options, given
// whole: --keep-daily 7 …) to the snapshots tagged t, grouped by host and
// tags; with prune, restic also removes the data no snapshot needs any
// more. It returns what restic printed.
func (r *Repo) Forget(ctx context.Context, t Tags, keep []string, prune bool) (string, error) {
	args := []string{"forget", "--tag", t.filter(), "--group-by", "host,tags"}
	args = append(args, keep...)
	if prune {
		args = append(args, "--prune")
	}
	var out bytes.Buffer
	err := r.run(ctx, "forget", nil, &out, args...)
	return out.String(), err
}

// tailBuffer keeps the last 8 kB written to it (restic's messages).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 16<<10 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Pending is the upload of a backup while it is written: nil when the
// stack stores nothing offsite (every method is then a no-op), and
// aborted by Close unless committed, so that `defer p.Close()` makes sure
// a backup that was not verified never becomes a snapshot.
type Pending struct {
	up       *Upload
	finished bool
}

// Start starts storing the stream of the backup named file, tagged t.
func (r *Repo) Start(ctx context.Context, file string, t Tags) *Pending {
	return &Pending{up: r.Store(ctx, file, t)}
}

// Writer is what the backup's stored bytes are teed into; nil (no
// writer) for a nil Pending. Its writes never fail: a repository that
// stopped does not stop the backup.
func (p *Pending) Writer() io.Writer {
	if p == nil {
		return nil
	}
	return p.up
}

// Tee is w, and the upload beside it when there is one.
func (p *Pending) Tee(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return io.MultiWriter(w, p.up)
}

// Close aborts the upload unless it was committed.
func (p *Pending) Close() {
	if p != nil && !p.finished {
		p.finished = true
		p.up.Abort()
	}
}

// Commit makes the snapshot of the verified, named backup final and says
// so in w. Its error, restic's reason masked with mask, names the backup
// (file, a "dump" or an "archive") and says the local copy is kept.
func (p *Pending) Commit(w io.Writer, file, kind string, mask func(string) string) error {
	if p == nil {
		return nil
	}
	p.finished = true
	id, err := p.up.Commit()
	if err != nil {
		return fmt.Errorf("offsite copy of %s failed: %s (the local %s is kept)", file, mask(err.Error()), kind)
	}
	fmt.Fprintf(w, "    stored offsite: restic snapshot %s\n", id)
	return nil
}
