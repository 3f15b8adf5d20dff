package settings

import (
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
)

// TestResolve: the option wins, then the variable when not blank, then
// the default; a bad value is named with where it came from.
func TestResolve(t *testing.T) {
	e := env.FromEnviron([]string{"KOMPOSE_X=5s", "KOMPOSE_BLANK= ", "KOMPOSE_BAD=soon"})
	e.Override("KOMPOSE_Y", "maybe", env.SourceOverride)
	cases := []struct {
		s       Setting
		want    time.Duration
		wantErr string
	}{
		{Setting{Flag: Flag{Name: "--t", Set: true, Value: "90"}, Var: "KOMPOSE_X", Lookup: FromEnv(e)}, 90 * time.Second, ""},
		{Setting{Var: "KOMPOSE_X", Lookup: FromEnv(e)}, 5 * time.Second, ""},
		{Setting{Var: "KOMPOSE_BLANK", Lookup: FromEnv(e)}, time.Minute, ""},
		{Setting{Var: "KOMPOSE_NONE", Lookup: FromEnv(e)}, time.Minute, ""},
		{Setting{Var: "KOMPOSE_BAD", Lookup: FromEnv(e)}, 0, `KOMPOSE_BAD="soon" (process): not a timeout; write it like 30s, 5m or 90`},
		{Setting{Flag: Flag{Name: "--t", Set: true, Value: "-1s"}}, 0, `--t "-1s": not a timeout; write it like 30s, 5m or 90`},
	}
	for i, c := range cases {
		got, err := c.s.Duration(time.Minute)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr {
				t.Errorf("%d: err %v, want %s", i, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%d: %v, %v; want %v", i, got, err, c.want)
		}
	}
	if _, err := (Setting{Var: "KOMPOSE_Y", Lookup: FromEnv(e)}).Bool(false); err == nil || err.Error() != `KOMPOSE_Y="maybe" (-e): expected 1 or 0` {
		t.Errorf("bool: %v", err)
	}
	if v, err := (Setting{Var: "KOMPOSE_P", Lookup: FromEnviron([]string{"KOMPOSE_P=off", "KOMPOSE_P=Yes"})}).Bool(false); err != nil || !v {
		t.Errorf("bool from environ: %v %v", v, err)
	}
	if _, err := (Setting{Flag: Flag{Name: "-j/--parallel", Set: true, Value: "0"}}).Int(1, 1, "a number of stacks"); err == nil || err.Error() != `-j/--parallel "0": expected a number of stacks, 1 or more` {
		t.Errorf("int: %v", err)
	}
}
