// Package gitsync is the git side of "kompose sync": it runs the real git
// program over the root's work tree (fetch, the checks before a
// fast-forward, signature verification, the fast-forward itself, the
// files a range of commits changed) and keeps the record of the commit
// each stack was last deployed from.
//
// kompose runs as root over a repository whose files came from elsewhere.
// git is started without a shell, without a terminal prompt, with the
// repository's work tree and git dir named explicitly, and with
// command-line configuration (-c, which wins over every file) that turns
// off what a repository's own configuration could make git run:
// fsmonitor, hooks, an ssh command, an askpass program, the ext:: and
// git:// transports, gpg programs; a fetch names git-upload-pack itself. What cannot be turned off that way (filter, diff and merge
// drivers, credential helpers, alternate-refs and proxy commands) is
// refused when the repository's own configuration sets it
// ([Repo.CheckConfig]). docs/git.md states the rules.
package gitsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
)

// Git runs the git program for one work tree.
type Git struct {
	// Program is the git program; "" means "git" from PATH.
	Program string
	// WorkTree and GitDir are the repository's folders.
	WorkTree, GitDir string
	// Environ is the environment git starts from (kompose's process
	// environment, never a stack's).
	Environ []string
	// Extra are further -c overrides (the allowed-signers file).
	Extra []string
}

// safeConfig are the -c overrides of every git command kompose runs:
// nothing in the repository's configuration may make git run a program.
func safeConfig() []string {
	kv := []string{
		"core.fsmonitor=false",
		"core.hooksPath=/dev/null",
		"core.sshCommand=ssh", // GIT_SSH_COMMAND of kompose's own environment still wins
		"core.askPass=",
		"core.pager=cat",
		"diff.external=",
		"protocol.ext.allow=never",
		"protocol.git.allow=never", // core.gitProxy cannot be overridden from the command line
		"submodule.recurse=false",
		"fetch.recurseSubmodules=false",
		"gpg.program=gpg",
		"gpg.x509.program=gpgsm",
		"gpg.ssh.program=ssh-keygen",
		"gpg.ssh.defaultKeyCommand=",
		"uploadpack.packObjectsHook=",
	}
	out := make([]string, 0, 2*len(kv))
	for _, s := range kv {
		out = append(out, "-c", s)
	}
	return out
}

// env is the environment of a git command: kompose's own, with git's
// location variables replaced by the repository's folders, no prompt and
// messages in English (they are parsed and quoted).
func (g *Git) env() []string {
	out := make([]string, 0, len(g.Environ)+8)
	for _, kv := range g.Environ {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
			"GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
			"GIT_TERMINAL_PROMPT", "GIT_PAGER", "PAGER", "LC_ALL", "LANGUAGE", "GIT_EXTERNAL_DIFF", "GIT_EDITOR":
			continue
		}
		if strings.HasPrefix(k, "GIT_CONFIG_KEY_") || strings.HasPrefix(k, "GIT_CONFIG_VALUE_") {
			continue
		}
		out = append(out, kv)
	}
	// GIT_LITERAL_PATHSPECS: the paths kompose names (a stack's folder,
	// the root's prefix) are paths, never patterns (a folder named "*").
	return append(out, "GIT_DIR="+g.GitDir, "GIT_WORK_TREE="+g.WorkTree, "GIT_TERMINAL_PROMPT=0",
		"GIT_PAGER=cat", "LC_ALL=C", "LANGUAGE=C", "GIT_LITERAL_PATHSPECS=1")
}

// Error is a git command that failed, with what git said.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return Redact(fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg))
}

// userinfoRE finds the user (and password or token) of a URL: everything
// between the scheme and the last '@' before the first '/' or blank (a
// password may hold an '@' or a quote as typed; hiding a little of the
// host too is the safe side).
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s]+@`)

// Redact hides the user and password of every URL in s (a remote's URL
// may carry a token: https://user:token@host/repo.git).
func Redact(s string) string { return userinfoRE.ReplaceAllString(s, "${1}****@") }

func (e *Error) Unwrap() error { return e.Err }

// Run runs git with args (after the safe overrides) in the
// work tree and returns its standard output.
func (g *Git) Run(ctx context.Context, args ...string) (string, error) {
	return g.RunEnv(ctx, nil, args...)
}

// RunEnv is Run with extra environment variables.
func (g *Git) RunEnv(ctx context.Context, extraEnv []string, args ...string) (string, error) {
	return g.run(ctx, extraEnv, nil, args...)
}

// RunInput is Run with stdin as git's standard input.
func (g *Git) RunInput(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return g.run(ctx, nil, stdin, args...)
}

func (g *Git) run(ctx context.Context, extraEnv []string, stdin io.Reader, args ...string) (string, error) {
	prog := g.Program
	if prog == "" {
		prog = "git"
	}
	full := append(append(safeConfig(), g.Extra...), args...)
	cmd := exec.CommandContext(ctx, prog, full...)
	cmd.Dir = g.WorkTree
	cmd.Env = append(g.env(), extraEnv...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), ctx.Err())
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return stdout.String(), &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}
