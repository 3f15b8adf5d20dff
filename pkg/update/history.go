package update

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// FileName is the history file in a stack's folder.
const FileName = ".kompose-updates.json"

// FileVersion is the version of the history file's format.
const FileVersion = 1

// KeepUpdates is how many updates the history keeps; the images of older
// ones are released.
const KeepUpdates = 5

// maxFile is the most kompose reads of a history file.
const maxFile = 1 << 20

// The kinds of history entry.
const (
	KindUpdate   = "update"
	KindRollback = "rollback"
)

// History is a stack's update history: what each update and rollback
// changed, oldest first.
type History struct {
	Version int     `json:"version"`
	Project string  `json:"project"`
	Entries []Entry `json:"entries"`
}

// Entry is one update or rollback.
type Entry struct {
	Kind     string    `json:"kind"`
	Time     time.Time `json:"time"`
	Services []Change  `json:"services"`
	// Backup, in an update entry, is the database dump taken just before
	// the update recreated anything (update --backup).
	Backup string `json:"backup,omitempty"`
	// Archives, in an update entry, are the volume archives the same
	// backup wrote, one per volume or bind mount. A history written
	// before volumes were backed up has none: it reads as before.
	Archives []Archive `json:"archives,omitempty"`
}

// Archive is one volume archive recorded with an update: Volume as the
// compose file names it (vol:import --volume), File its absolute path.
type Archive struct {
	Volume string `json:"volume"`
	File   string `json:"file"`
}

// Change is what happened to one service: it ran image ID From and runs To
// afterwards. Image is the reference the compose file names. Keep, in an
// update entry, is the tag that keeps From for a rollback.
type Change struct {
	Service string `json:"service"`
	Image   string `json:"image"`
	From    string `json:"from"`
	To      string `json:"to"`
	Keep    string `json:"keep,omitempty"`
}

var (
	imageID     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	serviceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	// imageRef is what a compose image: may hold, loosely: no spaces, no
	// leading dash (it ends up in docker's arguments).
	imageRef = regexp.MustCompile(`^[a-zA-Z0-9][^\s]*$`)
	// volumeName is a volume's key or a bind mount's folder relative to
	// the stack (vol.Target.Name).
	volumeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._/-]*$`)
)

// isVolumeName reports whether v can be a vol.Target name: a volume's
// key, or a bind mount's folder relative to the stack, without "." or
// ".." elements.
func isVolumeName(v string) bool {
	if !volumeName.MatchString(v) {
		return false
	}
	for _, el := range strings.Split(v, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	return true
}

// cleanAbs reports whether p is an absolute, clean path on one line.
func cleanAbs(p string) bool {
	return filepath.IsAbs(p) && filepath.Clean(p) == p && !strings.ContainsAny(p, "\x00\n\r")
}

// validate checks what a history file says before kompose acts on it: the
// IDs, names and tags end up in docker's arguments.
func (h *History) validate() error {
	if h.Version != FileVersion {
		return fmt.Errorf("version %d; this kompose reads version %d", h.Version, FileVersion)
	}
	for i, e := range h.Entries {
		if e.Kind != KindUpdate && e.Kind != KindRollback {
			return fmt.Errorf("entry %d: kind %q: expected %q or %q", i+1, e.Kind, KindUpdate, KindRollback)
		}
		if e.Backup != "" && !cleanAbs(e.Backup) {
			return fmt.Errorf("entry %d: backup %q: expected an absolute, clean path", i+1, e.Backup)
		}
		for _, a := range e.Archives {
			if !isVolumeName(a.Volume) {
				return fmt.Errorf("entry %d: archive of volume %q: not a volume name", i+1, a.Volume)
			}
			if !cleanAbs(a.File) {
				return fmt.Errorf("entry %d: archive %q: expected an absolute, clean path", i+1, a.File)
			}
		}
		for _, c := range e.Services {
			switch {
			case !serviceName.MatchString(c.Service):
				return fmt.Errorf("entry %d: service %q: not a service name", i+1, c.Service)
			case !imageRef.MatchString(c.Image):
				return fmt.Errorf("entry %d: service %s: image %q: not an image reference", i+1, c.Service, c.Image)
			case !imageID.MatchString(c.From) || !imageID.MatchString(c.To):
				return fmt.Errorf("entry %d: service %s: from %q, to %q: expected image IDs (sha256:<64 hex digits>)", i+1, c.Service, c.From, c.To)
			case c.Keep != "" && c.Keep != KeepTag(h.Project, c.Service, c.From):
				return fmt.Errorf("entry %d: service %s: keep %q: expected %q", i+1, c.Service, c.Keep, KeepTag(h.Project, c.Service, c.From))
			}
		}
	}
	return nil
}

// LoadHistory reads the history file at path, without following a
// symlink and without blocking (a FIFO at the name is refused, not
// waited on); anything but a regular file is refused. A missing file is
// an empty history of project. Its folder and owner are checked by the
// caller (historyPath).
func LoadHistory(path, project string) (*History, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return &History{Version: FileVersion, Project: project}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update history: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("update history %s: not a regular file; remove it: rm %s", path, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("update history %s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("update history %s: larger than %d bytes", path, maxFile)
	}
	var h History
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("update history %s: %w", path, err)
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("update history %s: %w", path, err)
	}
	if h.Project != project {
		return nil, fmt.Errorf("update history %s: it is the history of project %q, and the stack's project is %q now; move the file away to start a new history", path, h.Project, project)
	}
	return &h, nil
}

// Save writes h to path atomically: to a new temporary file beside it
// (created with O_EXCL and O_NOFOLLOW), synced, then renamed over path.
func (h *History) Save(path string) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("update history: %w", err)
	}
	b = append(b, '\n')
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("update history: %w", err)
	}
	tmp := path + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("update history: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("update history %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Add appends e and drops the entries older than the last [KeepUpdates]
// updates (rollbacks older than the oldest update kept go with them). It
// returns the keep tags no remaining entry needs: their images are to be
// released.
func (h *History) Add(e Entry) (release []string) {
	before := h.keepTags()
	h.Entries = append(h.Entries, e)
	n := 0
	cut := 0
	for i := len(h.Entries) - 1; i >= 0; i-- {
		if h.Entries[i].Kind == KindUpdate {
			n++
			if n == KeepUpdates {
				cut = i
				break
			}
		}
	}
	if n == KeepUpdates {
		h.Entries = append([]Entry(nil), h.Entries[cut:]...)
	}
	after := h.keepTags()
	for t := range before {
		if !after[t] {
			release = append(release, t)
		}
	}
	sort.Strings(release)
	return release
}

// keepTags are the tags the entries keep images with.
func (h *History) keepTags() map[string]bool {
	out := map[string]bool{}
	for _, e := range h.Entries {
		for _, c := range e.Services {
			if c.Keep != "" {
				out[c.Keep] = true
			}
		}
	}
	return out
}

// KeptIDs are the image IDs the history keeps for rollbacks.
func (h *History) KeptIDs() map[string]bool {
	out := map[string]bool{}
	for _, e := range h.Entries {
		for _, c := range e.Services {
			if c.Keep != "" {
				out[c.From] = true
			}
		}
	}
	return out
}

// Updates is how many updates the history holds.
func (h *History) Updates() int {
	n := 0
	for _, e := range h.Entries {
		if e.Kind == KindUpdate {
			n++
		}
	}
	return n
}

// Target returns what rollback n brings back: for each service changed by
// one of the last n updates, the image it ran before the earliest of them
// (From and Keep of that change), by service name. Rollbacks in between do
// not count as updates.
func (h *History) Target(n int) (map[string]Change, error) {
	if n < 1 {
		return nil, fmt.Errorf("rollback %d: expected a number of updates, 1 or more", n)
	}
	have := h.Updates()
	if have == 0 {
		return nil, errors.New("no update recorded to roll back (" + FileName + " has none)")
	}
	if n > have {
		return nil, fmt.Errorf("rollback %d: only %d update(s) recorded", n, have)
	}
	out := map[string]Change{}
	seen := 0
	for i := len(h.Entries) - 1; i >= 0 && seen < n; i-- {
		e := h.Entries[i]
		if e.Kind != KindUpdate {
			continue
		}
		seen++
		for _, c := range e.Services {
			out[c.Service] = c // earlier entries overwrite later ones
		}
	}
	return out, nil
}

// BackupFor is the backup recorded with the update rollback n undoes
// last (the Nth last update: the state before it): its database dump
// ("" when none) and its volume archives (none when none).
func (h *History) BackupFor(n int) (dump string, archives []Archive) {
	seen := 0
	for i := len(h.Entries) - 1; i >= 0; i-- {
		if h.Entries[i].Kind != KindUpdate {
			continue
		}
		if seen++; seen == n {
			return h.Entries[i].Backup, h.Entries[i].Archives
		}
	}
	return "", nil
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
