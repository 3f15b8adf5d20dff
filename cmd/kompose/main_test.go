package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kompose": func() { os.Exit(runMain(os.Args)) },
	})
}

// TestScripts runs the txtar scripts in testdata/scripts against the real
// kompose binary, real bash for hooks, and the fake docker in
// testdata/fakebin, which records each call in $WORK/docker.log.
func TestScripts(t *testing.T) {
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/scripts",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			return setupFakeDocker(e, fakebin)
		},
	})
}

// setupFakeDocker puts the fake docker first on PATH and makes it look like
// the Compose v2 plugin is installed, in a home folder of the script's own.
func setupFakeDocker(e *testscript.Env, fakebin string) error {
	home := filepath.Join(e.WorkDir, ".home")
	plugins := filepath.Join(home, ".docker", "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}
	plugin := filepath.Join(plugins, "docker-compose")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return err
	}
	e.Setenv("HOME", home)
	e.Setenv("PATH", fakebin+string(os.PathListSeparator)+e.Getenv("PATH"))
	e.Setenv("FAKE_DOCKER_LOG", filepath.Join(e.WorkDir, "docker.log"))
	e.Setenv("NO_COLOR", "1")
	return nil
}
