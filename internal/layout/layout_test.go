// Package layout holds a test that keeps the README's project layout
// equal to the packages in the tree.
package layout

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestReadmeListsEveryPackage: every folder under pkg/ is in the README's
// project layout, and the layout names no package that is gone.
func TestReadmeListsEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Project layout")
	if !ok {
		t.Fatal("README.md: no ## Project layout")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^    pkg/([a-z0-9]+)\s`).FindAllStringSubmatch(section, -1) {
		listed[m[1]] = true
	}
	entries, err := os.ReadDir("../../pkg")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if !listed[e.Name()] {
			missing = append(missing, e.Name())
		}
		delete(listed, e.Name())
	}
	var gone []string
	for n := range listed {
		gone = append(gone, n)
	}
	sort.Strings(gone)
	if len(missing) > 0 || len(gone) > 0 {
		t.Errorf("README.md's project layout: missing pkg/%v; lists pkg/%v, which do not exist", missing, gone)
	}
}
