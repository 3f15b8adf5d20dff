package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// CheckFileName is where update --check keeps, in a stack's folder, what
// it last found, for status.
const CheckFileName = ".kompose-check.json"

// CheckRecord is the last update --check of a stack.
type CheckRecord struct {
	Version  int            `json:"version"`
	Time     time.Time      `json:"time"`
	Services []CheckService `json:"services"`
}

// CheckService is one service's line of a [CheckRecord].
type CheckService struct {
	Service string `json:"service"`
	Image   string `json:"image"`
	State   string `json:"state"`
	Local   string `json:"local_digest,omitempty"`
	Remote  string `json:"remote_digest,omitempty"`
}

// Count returns how many services are in state.
func (r *CheckRecord) Count(states ...string) int {
	n := 0
	for _, s := range r.Services {
		for _, st := range states {
			if s.State == st {
				n++
			}
		}
	}
	return n
}

// saveCheck writes what the check found into the stack's folder,
// atomically (safefile), when the folder passes the trust rule. The
// reason why not is returned; the check itself does not fail for it.
func saveCheck(pol trust.Policy, s *plan.Stack, now time.Time, found []ServiceCheck) error {
	tree := trust.NewTree(pol)
	if err := tree.CheckDir("keep the last update check in", s.Dir); err != nil {
		return err
	}
	rec := CheckRecord{Version: FileVersion, Time: now.UTC().Truncate(time.Second), Services: []CheckService{}}
	for _, sc := range found {
		// The image is written masked: status prints it as is.
		img := sc.Image
		if s.Masker != nil {
			img = s.Masker.String(img)
		}
		rec.Services = append(rec.Services, CheckService{Service: sc.Service, Image: img, State: sc.State, Local: sc.Local, Remote: sc.Remote})
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(filepath.Join(s.Dir, CheckFileName), append(b, '\n'), 0o644)
}

// LoadCheck reads the last update --check of the stack in dir; nil (and
// no error) when there has been none. The file is opened without
// following a symlink or blocking, and must be a regular file.
func LoadCheck(dir string) (*CheckRecord, error) {
	path := filepath.Join(dir, CheckFileName)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFile)
	}
	var rec CheckRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Version != FileVersion {
		return nil, fmt.Errorf("%s: version %d; this kompose reads version %d", path, rec.Version, FileVersion)
	}
	return &rec, nil
}
