package manpage

import (
	"os"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/settings"
)

const pageFile = "../../docs/kompose.1"

// TestPageInStep: docs/kompose.1 is exactly what Page renders from the
// definitions; KOMPOSE_UPDATE_DOCS=1 rewrites it.
func TestPageInStep(t *testing.T) {
	page, err := Page()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(pageFile)
	if err == nil && string(got) == page {
		return
	}
	if os.Getenv("KOMPOSE_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(pageFile, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s differs from the definitions (rerun with KOMPOSE_UPDATE_DOCS=1 go test ./pkg/manpage)", pageFile)
}

// TestPageHoldsEverything: every option, root command and command of the
// table is on the page, so a new one shows up without this package
// changing.
func TestPageHoldsEverything(t *testing.T) {
	page, err := Page()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(page, ".nh\n.TH kompose 1") && !strings.Contains(page, ".TH kompose 1") {
		t.Errorf("not a section 1 page: %.80q", page)
	}
	want := []string{}
	for _, f := range settings.GlobalFlags() {
		want = append(want, `\fB--`+f.Names()[0])
	}
	for _, r := range commands.RootCommands() {
		want = append(want, "kompose "+r.Name)
	}
	for _, c := range commands.Table() {
		want = append(want, `\fB`+c.Name+`\fP`)
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
}
