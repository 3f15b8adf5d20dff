package plan

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	b := &Builder{Commands: map[string]CommandFunc{"db:export": nil, "db:import": nil}, Own: []string{"hooks"}}
	for _, tc := range []struct {
		cmd    string
		forced bool
		own    bool
		err    string // "" when accepted
	}{
		{cmd: "up"}, {cmd: "ps"}, {cmd: "watch"}, {cmd: "db:export", own: true}, {cmd: "hooks", own: true},
		{cmd: "db-export", err: `unknown command "db-export" (did you mean "db:export"?)`},
		{cmd: "db_import", err: `did you mean "db:import"?`},
		{cmd: "dbexport", err: `did you mean "db:export"?`},
		{cmd: "upp", err: `unknown command "upp" (did you mean "up"?)`},
		{cmd: "Up", err: `did you mean "up"?`},
		{cmd: "lgos", err: `did you mean "logs"?`},
		{cmd: "hook", err: `did you mean "hooks"?`},
		{cmd: "db:nope", err: `unknown command "db:nope"; kompose's own commands: db:export, db:import`},
		{cmd: "sbomb", err: `unknown command "sbomb": neither kompose's nor a compose subcommand kompose knows`},
		{cmd: "stat", forced: true},
		{cmd: "db_export", forced: true, err: `"db_export" is kompose's db:export`},
	} {
		chk, err := b.CheckCommand(tc.cmd, tc.forced)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrUsage) {
				t.Errorf("%s: err = %v, want %q (a usage error)", tc.cmd, err, tc.err)
			}
			continue
		}
		if err != nil || chk.Own != tc.own {
			t.Errorf("%s: got %+v, %v; want own=%v", tc.cmd, chk, err, tc.own)
		}
	}
}
