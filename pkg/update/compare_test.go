package update

import (
	"strings"
	"testing"
)

func id(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func TestCompare(t *testing.T) {
	svcs := []Service{
		{Name: "web", Image: "nginx:1.27", Pull: true},
		{Name: "db", Image: "postgres:15", Pull: true},
		{Name: "worker", Image: "app:latest", Pull: true},
		{Name: "built", Image: "", Pull: false},
		{Name: "cron", Image: "app:latest", Pull: true},
	}
	cts := []Container{
		{ID: "1", Service: "web", ImageID: id('a'), Running: true},
		{ID: "2", Service: "db", ImageID: id('b'), Running: true},
		{ID: "3", Service: "worker", ImageID: id('c'), Running: true},
		{ID: "4", Service: "cron", ImageID: id('c'), Running: false},
	}
	before := map[string]string{"nginx:1.27": id('a'), "postgres:15": id('b'), "app:latest": id('c')}
	after := map[string]string{"nginx:1.27": id('d'), "postgres:15": id('b'), "app:latest": id('e')}
	c := Compare(svcs, cts, before, after)
	if !c.Running {
		t.Fatal("stack not seen running")
	}
	got := map[string]bool{}
	for _, s := range c.Services {
		got[s.Name] = s.Changed
	}
	want := map[string]bool{"web": true, "db": false, "worker": true, "cron": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s changed = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["built"]; ok {
		t.Error("a service that is built, not pulled, is compared")
	}
	var rec []string
	for _, s := range c.Recreate(false) {
		rec = append(rec, s.Name)
	}
	// cron's container is stopped: not started by an update.
	if strings.Join(rec, ",") != "web,worker" {
		t.Errorf("recreate = %v, want web,worker", rec)
	}
	for _, s := range c.Services {
		if s.Name == "web" {
			if l := s.Line("recreated"); l != "web: nginx:1.27 sha256:aaaaaaaaaaaa… → sha256:dddddddddddd… (recreated)" {
				t.Errorf("line = %q", l)
			}
		}
		if s.Name == "db" {
			if l := s.Line(""); l != "db: postgres:15 up to date" {
				t.Errorf("line = %q", l)
			}
		}
	}
}

// A container left on an old image counts as changed even when the pull
// itself brought nothing new (another stack pulled the same reference
// first).
func TestCompareSharedReference(t *testing.T) {
	svcs := []Service{{Name: "web", Image: "nginx:1.27", Pull: true}}
	cts := []Container{{Service: "web", ImageID: id('a'), Running: true}}
	same := map[string]string{"nginx:1.27": id('d')}
	c := Compare(svcs, cts, same, same)
	if len(c.Recreate(false)) != 1 {
		t.Fatalf("want web recreated, got %+v", c)
	}
}

func TestCompareStopped(t *testing.T) {
	svcs := []Service{{Name: "web", Image: "nginx:1.27", Pull: true}, {Name: "new", Image: "redis:7", Pull: true}}
	cts := []Container{{Service: "web", ImageID: id('a'), Running: false}}
	before := map[string]string{"nginx:1.27": id('a'), "redis:7": ""}
	after := map[string]string{"nginx:1.27": id('d'), "redis:7": id('f')}
	c := Compare(svcs, cts, before, after)
	if c.Running {
		t.Fatal("a stack without running containers is seen running")
	}
	if n := len(c.Recreate(false)); n != 0 {
		t.Errorf("a stopped stack recreates %d services without --include-stopped", n)
	}
	if n := len(c.Recreate(true)); n != 2 {
		t.Errorf("--include-stopped: %d services, want 2", n)
	}
}

func TestCompareUnchanged(t *testing.T) {
	svcs := []Service{{Name: "web", Image: "nginx:1.27", Pull: true}}
	cts := []Container{{Service: "web", ImageID: id('a'), Running: true}}
	ids := map[string]string{"nginx:1.27": id('a')}
	c := Compare(svcs, cts, ids, ids)
	if len(c.Recreate(true)) != 0 || c.Services[0].Changed {
		t.Fatalf("unchanged image: %+v", c)
	}
}

func TestKeepTag(t *testing.T) {
	for _, tt := range []struct{ project, service, want string }{
		{"blog", "app", "kompose-rollback/blog:app-aaaaaaaaaaaa"},
		{"My_Blog--x", "Web.1", "kompose-rollback/my-blog-x:Web.1-aaaaaaaaaaaa"},
		{"__", "app", "kompose-rollback/stack:app-aaaaaaaaaaaa"},
	} {
		if got := KeepTag(tt.project, tt.service, id('a')); got != tt.want {
			t.Errorf("KeepTag(%q, %q) = %q, want %q", tt.project, tt.service, got, tt.want)
		}
	}
}
