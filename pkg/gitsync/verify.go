package gitsync

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// sshSigHeader starts the signature of a commit signed with an SSH key.
const sshSigHeader = "gpgsig -----BEGIN SSH SIGNATURE-----"

// UnverifiedError is a commit whose signature git does not verify
// against the allowed-signers file.
type UnverifiedError struct {
	Commit Commit
	Reason string
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("commit %s (%q, %s) %s: sync --verify deploys only commits signed by a key of the allowed-signers file",
		short(e.Commit.ID), e.Commit.Subject, e.Commit.Author, e.Reason)
}

// Verify checks that every commit of commits carries an SSH signature
// that git verifies against the allowed-signers file signers (which must
// pass pol's trust rule: whoever can write it chooses what runs as root).
func (r *Repo) Verify(ctx context.Context, commits []Commit, signers string, pol trust.Policy) error {
	if signers == "" {
		return fmt.Errorf("--verify needs an allowed-signers file: set KOMPOSE_GIT_ALLOWED_SIGNERS (the format of ssh-keygen's ALLOWED SIGNERS, git's gpg.ssh.allowedSignersFile)")
	}
	// git runs in the work tree: a relative path would be the
	// repository's file there, not the one checked here.
	signers, err := filepath.Abs(signers)
	if err != nil {
		return fmt.Errorf("allowed-signers file %s: %w", signers, err)
	}
	if err := trust.NewTree(pol).CheckFile("verify commits with the allowed signers of", signers); err != nil {
		return err
	}
	g := r.Git
	g.Extra = append(append([]string(nil), g.Extra...), "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile="+signers)
	for _, c := range commits {
		raw, err := g.Run(ctx, "cat-file", "commit", c.ID)
		if err != nil {
			return err
		}
		if !hasSSHSignature(raw) {
			return &UnverifiedError{Commit: c, Reason: "is not signed with an SSH key"}
		}
		if _, err := g.Run(ctx, "verify-commit", c.ID); err != nil {
			msg := "has a signature that does not verify"
			if ge, ok := err.(*Error); ok && strings.TrimSpace(ge.Stderr) != "" {
				msg += " (" + firstLine(ge.Stderr) + ")"
			}
			return &UnverifiedError{Commit: c, Reason: msg}
		}
	}
	return nil
}

// hasSSHSignature reports whether a raw commit's headers carry an SSH
// signature (not an OpenPGP or X.509 one: those would be checked with
// other keys than the allowed signers).
func hasSSHSignature(raw string) bool {
	headers, _, _ := strings.Cut(raw, "\n\n")
	for _, l := range strings.Split(headers, "\n") {
		if strings.HasPrefix(l, sshSigHeader) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
