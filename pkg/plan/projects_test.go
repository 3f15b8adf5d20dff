package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/stack"
)

func TestProjectClashes(t *testing.T) {
	all := []stack.Stack{{Name: "Blog"}, {Name: "b log"}, {Name: "blog"}, {Name: "news"}, {Name: "paper"}, {Name: "solo"}, {Name: "unread"}}
	names := map[string]ProjectName{
		"Blog":  {Name: "blog", From: compose.NameFromFolder},
		"b log": {Name: "blog", From: compose.NameFromFolder},
		"blog":  {Name: "blog", From: compose.NameFromFolder},
		"news":  {Name: "news", From: compose.NameFromFolder},
		// compose would refuse this COMPOSE_PROJECT_NAME; normalised, it
		// is news's name, so it clashes all the same.
		"paper": {Name: "News", From: compose.NameFromEnv, Source: "stack .env"},
		"solo":  {Name: "solo", From: compose.NameFromFolder},
	}
	got := ProjectClashes(all, names)
	if len(got) != 5 || got["solo"] != nil || got["unread"] != nil {
		t.Fatalf("clashes: %v", got)
	}
	var pe *ProjectClashError
	if !errors.As(got["b log"], &pe) || pe.Project != "blog" || strings.Join(pe.Stacks, ",") != "Blog,b log,blog" {
		t.Fatalf("b log: %#v", got["b log"])
	}
	want := `stacks "news" and "paper" both get the compose project name "news" (paper: COMPOSE_PROJECT_NAME from stack .env)`
	if msg := got["news"].Error(); !strings.HasPrefix(msg, want) {
		t.Errorf("news: %s\nwant prefix %s", msg, want)
	}
}
