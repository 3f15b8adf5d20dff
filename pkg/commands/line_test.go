package commands

import (
	"reflect"
	"strings"
	"testing"
)

func TestWordsAndParseLine(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		want   Line
		dryRun bool
		err    string
	}{
		{args: []string{"blog", "up", "-d"}, want: Line{Pattern: "blog", Command: "up", Args: []string{"-d"}}},
		{args: []string{"blog", "up", "--dry-run", "-d"}, want: Line{Pattern: "blog", Command: "up", Args: []string{"-d"}}, dryRun: true},
		{args: []string{"blog", "exec", "web", "--", "x", "--dry-run"}, want: Line{Pattern: "blog", Command: "exec", Args: []string{"web", "--", "x", "--dry-run"}}},
		{args: []string{"blog", "logs", "-n", "20"}, want: Line{Pattern: "blog", Command: "logs", Args: []string{"-n", "20"}}},
		{args: []string{"*", "--", "watch", "web"}, want: Line{Pattern: "*", Command: "watch", Args: []string{"web"}, Passthrough: true}},
		{args: []string{"hosts"}, want: Line{Pattern: "*", Command: "hosts", Args: []string{}}},
		{args: []string{"hosts", "--json"}, want: Line{Pattern: "*", Command: "hosts", Args: []string{"--json"}}},
		{args: []string{"hosts", "status"}, want: Line{Pattern: "hosts", Command: "status", Args: []string{}}},
		{args: []string{"sync"}, want: Line{Pattern: "*", Command: "sync", Args: []string{}}},
		{args: []string{"sync", "--dry-run", "--fetch"}, want: Line{Pattern: "*", Command: "sync", Args: []string{"--fetch"}}, dryRun: true},
		{args: []string{"sync", "--remove", "--allowed-signers", "f"}, want: Line{Pattern: "*", Command: "sync", Args: []string{"--remove", "--allowed-signers", "f"}}},
		{args: []string{"sync", "up", "-d"}, want: Line{Pattern: "sync", Command: "up", Args: []string{"-d"}}},
		{args: nil, err: "missing <pattern> and <command>"},
		{args: []string{"blog"}, err: `missing <command> after pattern "blog"`},
		{args: []string{"blog", "--"}, err: `missing <command> after "--"`},
		{args: []string{"blog", "-d", "up"}, err: `"-d" after the pattern is not a command`},
	} {
		words, dry := Words(tt.args)
		got, err := ParseLine(words)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) || dry != tt.dryRun {
			t.Errorf("%q: %+v, dry %v, %v; want %+v, dry %v", tt.args, got, dry, err, tt.want, tt.dryRun)
		}
	}
}

func TestTakeJSON(t *testing.T) {
	rest, found := TakeJSON([]string{"up", "--json", "-d"})
	if !found || !reflect.DeepEqual(rest, []string{"up", "-d"}) {
		t.Errorf("TakeJSON = %q, %v", rest, found)
	}
}

func TestRootCommands(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // "" when the line is a pattern's
	}{
		{[]string{"version"}, Version},
		{[]string{"version", "--json"}, Version},
		{[]string{"version", "ps"}, ""},
		{[]string{"completion"}, Completion},
		{[]string{"completion", "bash"}, Completion},
		{[]string{"completion", "powershell"}, Completion},
		{[]string{"completion", "up"}, ""},
		{[]string{"completion", "bash", "zsh"}, ""},
		{[]string{"hosts", "--json"}, Hosts},
		{[]string{"blog", "up"}, ""},
		{nil, ""},
	} {
		r, ok := RootLine(tt.args)
		if ok != (tt.want != "") || r.Name != tt.want {
			t.Errorf("Root(%q) = %q, %v; want %q", tt.args, r.Name, ok, tt.want)
		}
	}
	// "kompose version" is kompose's; "kompose '*' version" stays compose's.
	if words, _ := Words([]string{"version"}); len(words) != 1 {
		t.Errorf("Words(version) = %q: kompose's version takes no pattern", words)
	}
	if c := Lookup("version"); c.Owner != Compose {
		t.Errorf("the table's version is %v's, want compose's", c.Owner)
	}
	prev := ""
	for _, r := range RootCommands() {
		if r.Name <= prev {
			t.Errorf("root commands out of name order at %q", r.Name)
		}
		prev = r.Name
		if _, inTable := Find(r.Name); r.Stacks && !inTable {
			t.Errorf("%s runs over the stacks but has no row in the table", r.Name)
		}
	}
}
