package complete

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed scripts/*
var scripts embed.FS

// scriptFiles maps each shell to its script.
func scriptFiles() map[string]string {
	return map[string]string{"bash": "scripts/kompose.bash", "zsh": "scripts/_kompose.zsh", "fish": "scripts/kompose.fish"}
}

// Shells are the shells [Script] has a script for, sorted.
func Shells() []string {
	var out []string
	for s := range scriptFiles() {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Script returns the completion script of shell (bash, zsh or fish).
func Script(shell string) (string, error) {
	name, ok := scriptFiles()[shell]
	if !ok {
		return "", fmt.Errorf("completion: no script for %q; the shells are %v", shell, Shells())
	}
	b, err := scripts.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("completion: %w", err)
	}
	return string(b), nil
}

// ScriptFor is `kompose completion SHELL`'s script; args are the words
// after "completion" (one shell).
func ScriptFor(args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("completion needs one shell: kompose completion %s", strings.Join(Shells(), "|"))
	}
	return Script(args[0])
}
