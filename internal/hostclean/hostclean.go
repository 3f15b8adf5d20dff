// Package hostclean removes what a test left on the machine outside
// docker: processes found by a folder their command line names (a test
// dockerd's containerd and shims, a test sshd), with everything below
// them, and mounts below a folder; and it describes what of the
// machine's Docker Engine a test run must leave as it found it
// ([MachineEngine]: docker0, the built-in networks). Used only by tests
// (e2e, swarmtest), which run as root.
package hostclean

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// KillMentioning kills (SIGKILL) every process whose command line
// contains s, and every process below each of them. It reports how many
// processes it found mentioning s.
func KillMentioning(s string) int {
	pids := Mentioning(s)
	for _, p := range pids {
		for _, d := range Descendants(p) {
			_ = syscall.Kill(d, syscall.SIGKILL)
		}
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	if len(pids) > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	return len(pids)
}

// Mentioning lists the processes (not this one) whose command line
// contains s.
func Mentioning(s string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Descendants are the processes below pid, parents before children.
func Descendants(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := statField(p, 1); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// StartTime is the start time of process pid in clock ticks since boot
// (field 22 of /proc/<pid>/stat): with the pid it names one process,
// even after the pid is reused. ok is false when pid does not exist.
func StartTime(pid int) (ticks int, ok bool) {
	return statField(pid, 19)
}

// statField is the i-th field after the command name of
// /proc/<pid>/stat (0 is the state).
func statField(pid, i int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) <= i {
		return 0, false
	}
	v, err := strconv.Atoi(f[i])
	return v, err == nil
}

// MountsUnder lists the mount points below dir (not dir itself), deepest
// first.
func MountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			mounts = append(mounts, fields[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	return mounts
}

// UnmountUnder lazily unmounts everything mounted below dir, deepest
// first.
func UnmountUnder(dir string) {
	for _, m := range MountsUnder(dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
}
