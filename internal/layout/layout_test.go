// Package layout holds a test that keeps the README's project layout
// equal to the packages in the tree.
package layout

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestReadmeListsEveryPackage: every package under pkg/ (pkg/report and
// pkg/report/text alike) is in the README's project layout, and the layout
// names no package that is gone.
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
	for _, m := range regexp.MustCompile(`(?m)^    pkg/([a-z0-9/]+)\s`).FindAllStringSubmatch(section, -1) {
		listed[m[1]] = true
	}
	var missing []string
	err = filepath.WalkDir("../../pkg", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case !d.IsDir():
			return nil
		case d.Name() == "testdata":
			return filepath.SkipDir
		}
		name, _ := filepath.Rel("../../pkg", path)
		if name == "." || !hasGo(path) {
			return nil
		}
		name = filepath.ToSlash(name)
		if !listed[name] {
			missing = append(missing, name)
		}
		delete(listed, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
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

// hasGo reports whether dir holds a Go file: a package, not a folder of
// data.
func hasGo(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}
