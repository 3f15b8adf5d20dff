//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// packageImage is a clean Debian with man-db and bash-completion, man pages
// kept (scripts/build-images.sh).
const packageImage = "kompose-test/debian-pkg:bookworm"

// TestDebianPackage builds the .deb with scripts/package.sh, installs it
// with dpkg -i in a clean container of the local Debian image, and checks
// what a user gets: kompose --version with the commit, man -w kompose, a
// bash completion through bash-completion's own loader, the systemd units
// installed but not enabled; then dpkg -r and dpkg --purge leave no file
// of the package behind.
func TestDebianPackage(t *testing.T) {
	if the.skip != "" {
		t.Skip(the.skip)
	}
	t.Parallel() // it mostly waits on the Go build and nfpm
	ctx := t.Context()
	if _, err := dockerOut(ctx, "image", "inspect", "--format", "{{.Id}}", packageImage); err != nil {
		why := "the image " + packageImage + " is missing (scripts/provision.sh builds it)"
		if os.Getenv(requireVar) == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	dist := t.TempDir()
	start := time.Now()
	build := exec.CommandContext(ctx, "scripts/package.sh")
	build.Dir = ".."
	build.Env = append(os.Environ(), "KOMPOSE_DIST_DIR="+dist)
	out, err := build.Output()
	if err != nil {
		t.Fatalf("scripts/package.sh: %v\n%s", err, stderrOf(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	deb := lines[len(lines)-1]
	t.Logf("built %s in %s", filepath.Base(deb), time.Since(start).Round(time.Millisecond))
	m := regexp.MustCompile(`^kompose_([0-9][^_]*)_([a-z0-9]+)\.deb$`).FindStringSubmatch(filepath.Base(deb))
	if m == nil || filepath.Dir(deb) != dist {
		t.Fatalf("package %s: not dist/kompose_<version>_<arch>.deb", deb)
	}
	version := m[1]
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	commit, err := runOut(ctx, "git", "-C", repo, "rev-parse", "--short=12", "HEAD")
	if err != nil {
		t.Fatal(err)
	}

	name := the.runID + "-package"
	if _, err := dockerOut(ctx, "run", "-d", "--name", name, "--network", "none",
		"--label", projectLabel+"="+name, "-v", deb+":/tmp/kompose.deb:ro", packageImage, "sleep", "infinity"); err != nil {
		t.Fatalf("docker run: %v", err)
	}
	t.Cleanup(func() { _, _ = dockerOut(context.Background(), "rm", "-f", "-v", name) })
	sh := func(script string) string {
		t.Helper()
		out, err := dockerOut(ctx, "exec", name, "bash", "-euo", "pipefail", "-c", script)
		if err != nil {
			t.Fatalf("in the container: %s\n%v", script, err)
		}
		return strings.TrimSpace(out)
	}

	sh("dpkg -i /tmp/kompose.deb")
	if got := sh("dpkg-query -W -f '${Version} ${Status}' kompose"); got != version+" install ok installed" {
		t.Errorf("dpkg-query: %q", got)
	}
	if v := sh("kompose --version"); !strings.HasPrefix(v, "kompose version "+version+" (commit "+strings.TrimSpace(commit)) || strings.Contains(v, "built unknown") {
		t.Errorf("kompose --version: %q; want version %s, commit %s and a date", v, version, commit)
	}
	if p := sh("man -w kompose"); p != "/usr/share/man/man1/kompose.1.gz" {
		t.Errorf("man -w kompose: %q", p)
	}
	if s := sh("MANWIDTH=80 man kompose 2>/dev/null | head -5"); !strings.Contains(s, "kompose - run docker compose") {
		t.Errorf("man kompose: %q", s)
	}
	// bash-completion's loader finds the script in its folder; the
	// function answers with the stacks of ./stacks.
	got := sh(`mkdir -p /srv/stacks/blog /srv/stacks/news && cd /srv &&
		for s in blog news; do echo 'services: {web: {image: x}}' > stacks/$s/compose.yaml; done &&
		source /usr/share/bash-completion/bash_completion && __load_completion kompose &&
		complete -p kompose && COMP_LINE='kompose b' COMP_POINT=9 COMP_WORDS=(kompose b) COMP_CWORD=1 && _kompose &&
		printf '%s\n' "${COMPREPLY[@]}"`)
	if !strings.Contains(got, "complete -F _kompose kompose") || !strings.HasSuffix(got, "\nblog") {
		t.Errorf("bash completion: %q", got)
	}
	for _, f := range []string{"/usr/share/zsh/vendor-completions/_kompose", "/usr/share/fish/vendor_completions.d/kompose.fish"} {
		sh("test -s " + f)
	}
	// the units: installed, pointing at /usr/bin/kompose, enabled nowhere
	units := sh("ls /usr/lib/systemd/system/ | grep kompose")
	if units != "kompose-db-backup.service\nkompose-db-backup.timer" {
		t.Errorf("units: %q", units)
	}
	sh("grep -q '^ExecStart=/usr/bin/kompose ' /usr/lib/systemd/system/kompose-db-backup.service")
	if links := sh("find /etc/systemd /usr/lib/systemd -path '*.wants/*' -name 'kompose*' | wc -l"); links != "0" {
		t.Errorf("a unit is enabled: %s links", links)
	}
	if scripts := sh("ls /var/lib/dpkg/info/ | { grep -E '^kompose\\.(preinst|postinst|prerm|postrm)$' || true; } | wc -l"); scripts != "0" {
		t.Errorf("the package has %s maintainer scripts; it must enable or start nothing", scripts)
	}

	files := sh(`dpkg -L kompose | while read -r f; do [[ -f $f ]] && echo "$f"; done; true`)
	if !strings.Contains(files, "/usr/bin/kompose") {
		t.Fatalf("dpkg -L: %q", files)
	}
	sh("dpkg -r kompose")
	if left := sh("for f in " + strings.ReplaceAll(files, "\n", " ") + "; do [[ -e $f ]] && echo $f; done; true"); left != "" {
		t.Errorf("dpkg -r left: %s", left)
	}
	sh("dpkg --purge kompose")
	if st := sh("dpkg-query -W -f '${Status}' kompose 2>/dev/null || true"); st != "" && !strings.Contains(st, "not-installed") {
		t.Errorf("after --purge: %q", st)
	}
	if left := sh("ls /var/lib/dpkg/info/ | grep '^kompose\\.' || true"); left != "" {
		t.Errorf("dpkg --purge left: %s", left)
	}
}

// stderrOf is what a failed command printed on standard error.
func stderrOf(err error) string {
	if xe, ok := err.(*exec.ExitError); ok {
		return string(xe.Stderr)
	}
	return ""
}
