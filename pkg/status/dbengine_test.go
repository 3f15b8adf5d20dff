package status

import (
	"context"
	"testing"
	"time"
)

// TestDBEngine: the database engine of a row is the target's (DB_ENGINE)
// when set, else the newest dump's, else unknown; stacks without a
// database have none.
func TestDBEngine(t *testing.T) {
	docker := func(context.Context, []string, []string) ([]byte, error) { return nil, nil }
	dump := func(engine string) func() (*Dump, error) {
		return func() (*Dump, error) { return &Dump{Time: time.Now(), Engine: engine}, nil }
	}
	none := func() (*Dump, error) { return nil, nil }
	rows := Collect(context.Background(), docker, []Target{
		{Name: "set", DBEngine: "mysql", Dumps: dump("mariadb")},
		{Name: "header", Dumps: dump("mariadb")},
		{Name: "setnodump", DBEngine: "mariadb", Dumps: none},
		{Name: "unknown", Dumps: dump("")},
		{Name: "nodb", DBEngine: "postgres"},
	})
	want := []string{"mysql", "mariadb", "mariadb", "", ""}
	for i, r := range rows {
		if r.DBEngine != want[i] {
			t.Errorf("%s: %q, want %q", r.Stack, r.DBEngine, want[i])
		}
	}
}
