package output

import (
	"testing"
)

func TestStyle(t *testing.T) {
	on := Style{color: true}
	off := Style{}
	for _, tt := range []struct {
		name string
		f    func(Style, string) string
		code string
	}{
		{"Bold", Style.Bold, "1"}, {"Dim", Style.Dim, "2"}, {"Green", Style.Green, "32"},
		{"Red", Style.Red, "31"}, {"Yellow", Style.Yellow, "33"}, {"Cyan", Style.Cyan, "36"},
	} {
		if got, want := tt.f(on, "x"), "\x1b["+tt.code+"mx\x1b[0m"; got != want {
			t.Errorf("%s on = %q, want %q", tt.name, got, want)
		}
		if got := tt.f(off, "x"); got != "x" {
			t.Errorf("%s off = %q", tt.name, got)
		}
	}
}

func TestStyleFor(t *testing.T) {
	for _, tt := range []struct {
		tty, noColor, want bool
	}{
		{true, false, true}, {true, true, false}, {false, false, false}, {false, true, false},
	} {
		ios := &IOStreams{NoColor: tt.noColor}
		if got := ios.StyleFor(tt.tty).color; got != tt.want {
			t.Errorf("StyleFor(tty=%v) with NoColor=%v: colour %v, want %v", tt.tty, tt.noColor, got, tt.want)
		}
	}
}

func TestSystemNoColor(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"NO_COLOR": "1"}, true},
		{map[string]string{"NO_COLOR": "0"}, true}, // any non-empty value (no-color.org)
		{map[string]string{"NO_COLOR": ""}, false},
		{map[string]string{"TERM": "dumb"}, true},
		{map[string]string{"TERM": "xterm-256color"}, false},
	} {
		ios := System(func(k string) string { return tt.env[k] })
		if ios.NoColor != tt.want {
			t.Errorf("System(%v).NoColor = %v, want %v", tt.env, ios.NoColor, tt.want)
		}
	}
}

func TestTestStreams(t *testing.T) {
	ios, in, out, errOut := Test()
	if ios.OutTTY || ios.ErrTTY {
		t.Error("test streams claim to be terminals")
	}
	in.WriteString("in")
	ios.Out.Write([]byte("out"))
	ios.ErrOut.Write([]byte("err"))
	b := make([]byte, 2)
	if n, _ := ios.In.Read(b); string(b[:n]) != "in" || out.String() != "out" || errOut.String() != "err" {
		t.Error("streams are not the returned buffers")
	}
}
