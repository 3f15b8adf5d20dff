package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bombs are compose files whose aliases expand far beyond what a compose
// file needs: the classic billion laughs (which the YAML library refuses
// on its own), a few thousand aliases of one large list (which it does
// not: compose-go took 35 s and 800 MB for this 60 KB file), and merge
// keys.
func bombs() map[string]string {
	laughs := []string{"services: {web: {image: nginx}}", `x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`}
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs = append(laughs, "x-"+n+": &"+n+" ["+strings.Repeat("*"+prev+",", 8)+"*"+prev+"]")
		prev = n
	}
	wide := "services: {web: {image: nginx}}\nx-a: &a [" + strings.Repeat(`"`+strings.Repeat("x", 1000)+`",`, 49) + `"x"]` + "\nx-b: [" + strings.Repeat("*a,", 2999) + "*a]\n"
	merge := []string{"services: {web: {image: nginx}}", "x-a: &a {a0: 1, a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1}"}
	prev = "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		merge = append(merge, "x-"+n+": &"+n+" {<<: *"+prev+", z: *"+prev+", y: *"+prev+", w: *"+prev+", v: *"+prev+", u: *"+prev+", t: *"+prev+"}")
		prev = n
	}
	return map[string]string{
		"laughs": strings.Join(laughs, "\n") + "\n",
		"wide":   wide,
		"merge":  strings.Join(merge, "\n") + "\n",
	}
}

func TestCheckExpansionRefusesBombs(t *testing.T) {
	for name, content := range bombs() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := CheckExpansion("compose.yaml", []byte(content))
			if !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(err.Error(), "compose.yaml: ") {
				t.Fatalf("CheckExpansion: %v, want ErrTooLarge naming the file", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestLoadRefusesBombs: loading the project (dependencies, --list's
// services, the database service) refuses the file quickly, before
// compose-go expands it.
func TestLoadRefusesBombs(t *testing.T) {
	for name, content := range bombs() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(file, []byte(content+"x-kompose: {depends_on: []}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, _, err := Dependencies(context.Background(), dir, file, map[string]string{})
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Fatalf("Dependencies: %v, want an error naming %s", err, file)
			}
			if _, err := Services(context.Background(), dir, file, map[string]string{}); err == nil {
				t.Fatal("Services: no error")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestCheckExpansionAcceptsRealFiles: anchors and merge keys as real
// compose files use them, and a large file without aliases, pass.
func TestCheckExpansionAcceptsRealFiles(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-common: &common\n  restart: unless-stopped\n  logging: {driver: json-file, options: {max-size: 10m}}\nservices:\n")
	for i := range 500 {
		b.WriteString("  svc" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ":\n    <<: *common\n    image: nginx\n    environment: [A=1, B=2, C=3]\n")
	}
	if err := CheckExpansion("compose.yaml", []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := CheckExpansion("compose.yaml", []byte("services: [unclosed")); err != nil {
		t.Fatalf("a syntax error is the loader's to report: %v", err)
	}
}
