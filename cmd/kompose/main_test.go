package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/rogpeppe/go-internal/testscript"
)

// systemPluginDirsVar names, in the test binary only, the folders that
// stand for the system's docker cli-plugins folders, so that tests do not
// depend on the docker installed on the machine.
const systemPluginDirsVar = "KOMPOSE_TEST_SYSTEM_PLUGIN_DIRS"

// testNowVar, in the test binary only, fixes kompose's clock (RFC 3339),
// so that ages and timestamps in golden files do not change.
const testNowVar = "KOMPOSE_TEST_NOW"

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kompose": func() {
			os.Exit(runApp(os.Args, func(a *App) {
				if dirs, ok := os.LookupEnv(systemPluginDirsVar); ok {
					a.Detect = compose.Detector{PluginDirs: filepath.SplitList(dirs)}.Detect
				}
				if now, ok := os.LookupEnv(testNowVar); ok {
					t, err := time.Parse(time.RFC3339, now)
					if err != nil {
						panic(err)
					}
					a.Clock = fixedClock{t}
				}
			}))
		},
	})
}

// TestScripts runs the txtar scripts in testdata/scripts against the real
// kompose binary, real bash for hooks, and the fake docker in
// testdata/fakebin, which records each call in $WORK/docker.log.
func TestScripts(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// Files the scripts create must not be group- or world-writable, or
	// kompose rightly refuses to run them as hooks.
	syscall.Umask(0o022)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/scripts",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// $EXAMPLES is the repository's examples/ folder.
			e.Setenv("EXAMPLES", filepath.Join(testdata, "..", "..", "..", "examples"))
			return setupFakeDocker(e, testdata)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
			"gone":   cmdGone,
		},
		Condition: condition,
	})
}

// condition adds [missing:PROG], true when PROG is not installed, so a
// script can skip:
//
//	[missing:python3] skip 'python3 is not installed'
//
// With KOMPOSE_REQUIRE_ALL=1 (CI) a missing program fails the script
// instead. [root] is true when the tests run as root (needed to give a
// file to another user); with KOMPOSE_REQUIRE_ALL=1 it is an error not
// to be root.
func condition(cond string) (bool, error) {
	if cond == "root" {
		if os.Geteuid() != 0 && os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			return false, errors.New("the test needs root (KOMPOSE_REQUIRE_ALL=1) to give files to another user")
		}
		return os.Geteuid() == 0, nil
	}
	prog, ok := strings.CutPrefix(cond, "missing:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(prog); err == nil {
		return false, nil
	}
	if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
		return false, fmt.Errorf("%s is required (KOMPOSE_REQUIRE_ALL=1) but not installed", prog)
	}
	return true, nil
}

// cmdGone fails unless every process whose id is listed in the files is
// gone (or a zombie: the container's pid 1 may not reap orphans):
//
//	gone pids.txt
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: gone pidfile...")
	}
	for _, f := range args {
		pids := strings.Fields(ts.ReadFile(f))
		if len(pids) == 0 {
			ts.Fatalf("%s lists no process", f)
		}
		for _, p := range pids {
			if _, err := strconv.Atoi(p); err != nil {
				ts.Fatalf("%s: %q is not a process id", f, p)
			}
			b, err := os.ReadFile(filepath.Join("/proc", p, "stat"))
			if err != nil {
				continue // gone
			}
			s := string(b)
			if fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(fields) > 0 && fields[0] == "Z" {
				continue
			}
			_ = syscall.Kill(mustAtoi(p), syscall.SIGKILL) // leave nothing behind
			ts.Fatalf("process %s (from %s) is still running", p, f)
		}
	}
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// cmdStatus runs a program and checks its exact exit status:
//
//	status 2 kompose --bogus blog up
//
// Its standard output and error are kept for stdout and stderr.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status <exit status> <program> [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var xe *exec.ExitError
		if !errors.As(err, &xe) {
			ts.Fatalf("status: %v", err)
		}
		got = xe.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// setupFakeDocker puts the fake docker first on PATH and makes it look like
// the Compose v2 plugin is installed, in a home folder of the script's own.
// $FAKEBIN_ALT holds fake docker-compose (v1) and podman programs for
// scripts to put on PATH; $SYSTEM_PLUGINS stands for the system's
// cli-plugins folder (empty).
func setupFakeDocker(e *testscript.Env, testdata string) error {
	home := filepath.Join(e.WorkDir, ".home")
	plugins := filepath.Join(home, ".docker", "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}
	plugin := filepath.Join(plugins, "docker-compose")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return err
	}
	system := filepath.Join(e.WorkDir, ".system-plugins")
	if err := os.MkdirAll(system, 0o755); err != nil {
		return err
	}
	e.Setenv("HOME", home)
	e.Setenv("PATH", filepath.Join(testdata, "fakebin")+string(os.PathListSeparator)+e.Getenv("PATH"))
	e.Setenv("FAKEBIN_ALT", filepath.Join(testdata, "fakebin-alt"))
	e.Setenv("SYSTEM_PLUGINS", system)
	e.Setenv(systemPluginDirsVar, system)
	e.Setenv("FAKE_DOCKER_LOG", filepath.Join(e.WorkDir, "docker.log"))
	e.Setenv("NO_COLOR", "1")
	return nil
}
