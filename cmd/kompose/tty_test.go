package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kompose-dev/kompose/internal/pgtest"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: kompose writes to the terminal end,
// the test reads what a person would see from the other.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal on this machine: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptmx, tty
}

// onTerminal runs kompose with its standard output and error on a
// pseudo-terminal and returns what the terminal showed.
func onTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	kompose, err := exec.LookPath("kompose") // installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	ptmx, tty := openPTY(t)
	cmd := exec.Command(kompose, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = tty, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // kompose holds its own copies
	var screen bytes.Buffer
	_, err = io.Copy(&screen, ptmx) // until the last writer closes: EIO
	if err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kompose %s: %v\n%s", strings.Join(args, " "), err, screen.String())
	}
	return screen.String()
}

// TestColourOnATerminal: on a real terminal kompose's lines are coloured;
// NO_COLOR or TERM=dumb turn colour off there too. (Off a terminal there is
// never colour: every testscript checks plain text.)
func TestColourOnATerminal(t *testing.T) {
	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, "a", "compose.yaml"), "services: {web: {image: nginx}}\n")
	write(t, filepath.Join(root, "a", "hooks.sh"), "hook_pre_up() { echo pre; }\n")
	plugin := filepath.Join(work, "home", ".docker", "cli-plugins", "docker-compose")
	write(t, plugin, "#!/bin/sh\n")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "NO_COLOR" && k != "TERM" {
			base = append(base, kv)
		}
	}
	base = append(base,
		"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(work, "home"), systemPluginDirsVar+"="+filepath.Join(work, "none"),
		"FAKE_DOCKER_LOG="+filepath.Join(work, "docker.log"))
	args := []string{"--root", root, "a", "up", "-d"}

	screen := onTerminal(t, append(base, "TERM=xterm"), args...)
	for _, want := range []string{"\x1b[", "==>", "1 succeeded, 0 failed out of 1 stack"} {
		if !strings.Contains(screen, want) {
			t.Errorf("on a terminal, want %q in:\n%q", want, screen)
		}
	}
	for _, env := range [][]string{{"TERM=xterm", "NO_COLOR=1"}, {"TERM=dumb"}} {
		screen := onTerminal(t, append(base, env...), args...)
		if strings.Contains(screen, "\x1b[") {
			t.Errorf("with %v, want no colour, got:\n%q", env, screen)
		}
		if !strings.Contains(screen, "1 succeeded, 0 failed out of 1 stack") {
			t.Errorf("with %v, the summary is missing:\n%q", env, screen)
		}
	}
}

// TestImportProgressOnATerminal: db:import shows bytes, share and rate on
// one rewritten terminal line while it loads, and clears it when done;
// the password never reaches the screen. Against a real PostgreSQL server.
func TestImportProgressOnATerminal(t *testing.T) {
	if testing.Short() && !pgtest.Required() {
		t.Skip("needs a PostgreSQL server; skipped in -short mode")
	}
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	pgtest.Require(t, err)
	t.Cleanup(srv.Stop)
	// Enough rows that loading takes well over the 250 ms between updates.
	srv.MustPSQL(t, "postgres", "CREATE DATABASE progress")
	srv.MustPSQL(t, "progress", `CREATE TABLE rows (id int PRIMARY KEY, body text);
INSERT INTO rows SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 300000) i;`)

	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, "news", "compose.yaml"), "services: {web: {image: nginx}}\n")
	env := append(os.Environ(), "DB_NAME=progress", "TERM=xterm", "HOME="+work, systemPluginDirsVar+"="+filepath.Join(work, "none"))
	for k, v := range srv.Env() {
		env = append(env, k+"="+v)
	}
	kompose, err := exec.LookPath("kompose")
	if err != nil {
		t.Fatal(err)
	}
	export := exec.Command(kompose, "--root", root, "news", "db:export")
	export.Env = env
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("db:export: %v\n%s", err, out)
	}

	screen := onTerminal(t, env, "--root", root, "news", "db:import")
	for _, want := range []string{"\r\x1b[K    loaded ", "%), ", "/s", "imported "} {
		if !strings.Contains(screen, want) {
			t.Errorf("want %q on the terminal, got:\n%q", want, screen)
		}
	}
	if strings.Contains(screen, pgtest.Password) {
		t.Errorf("the password reached the terminal:\n%q", screen)
	}
	if got := srv.MustPSQL(t, "progress", "SELECT count(*) FROM rows"); got != "300000" {
		t.Errorf("after the import, %s rows; want 300000", got)
	}
}
