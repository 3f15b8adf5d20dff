package hooks

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statInfo is a FileInfo with the owner and mode a test needs.
type statInfo struct {
	mode     fs.FileMode
	uid, gid uint32
}

func (s statInfo) Name() string       { return "f" }
func (s statInfo) Size() int64        { return 0 }
func (s statInfo) Mode() fs.FileMode  { return s.mode }
func (s statInfo) ModTime() time.Time { return time.Time{} }
func (s statInfo) IsDir() bool        { return s.mode.IsDir() }
func (s statInfo) Sys() any           { return &syscall.Stat_t{Uid: s.uid, Gid: s.gid} }

func TestPolicy(t *testing.T) {
	alice := Policy{UID: 1000, GID: 1000}
	root := Policy{UID: 0, GID: 0}
	for _, tc := range []struct {
		name   string
		pol    Policy
		info   statInfo
		refuse string // part of the reason; "" when accepted
		fix    string
	}{
		{"own file", alice, statInfo{0o755, 1000, 1000}, "", ""},
		{"root's file", alice, statInfo{0o755, 0, 0}, "", ""},
		{"root runs root's", root, statInfo{0o700, 0, 0}, "", ""},
		{"own private group writable", alice, statInfo{0o775, 1000, 1000}, "", ""},
		{"root group writable", root, statInfo{0o775, 0, 0}, "", ""},
		{"world-writable", alice, statInfo{0o757, 1000, 1000}, "world-writable (mode 0757)", "chmod o-w /s/hooks.sh"},
		{"world-writable root's", root, statInfo{0o666, 0, 0}, "world-writable", "chmod o-w"},
		{"world-writable folder", root, statInfo{fs.ModeDir | 0o777, 0, 0}, "world-writable (mode 0777)", "chmod o-w"},
		{"another user's", root, statInfo{0o755, 1000, 1000}, "owned by uid 1000", "chown root /s/hooks.sh"},
		{"another user's for alice", alice, statInfo{0o755, 1001, 1001}, "owned by uid 1001", "chown "},
		{"other group writable", root, statInfo{0o775, 0, 33}, "its group gid 33", "chmod g-w /s/hooks.sh"},
		{"other group read-only", root, statInfo{0o755, 0, 33}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.pol.Check("/s/hooks.sh", tc.info)
			if tc.refuse == "" {
				if err != nil {
					t.Fatalf("Check = %v, want accepted", err)
				}
				return
			}
			var ue *UnsafeError
			if !errors.As(err, &ue) {
				t.Fatalf("Check = %v, want an *UnsafeError", err)
			}
			if !strings.Contains(ue.Reason, tc.refuse) || !strings.Contains(ue.Fix, tc.fix) || ue.Path != "/s/hooks.sh" {
				t.Errorf("Check = %+v, want reason with %q and fix with %q", ue, tc.refuse, tc.fix)
			}
			if !strings.Contains(err.Error(), "/s/hooks.sh") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}
