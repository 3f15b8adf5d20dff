package engine

import "testing"

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		env       map[string]string
		name, key string
		def       bool
	}{
		{nil, "default", "context:", true},
		{map[string]string{ContextVar: "nas"}, "nas", "context:nas", false},
		{map[string]string{HostVar: "ssh://root@10.0.0.5"}, "ssh://root@10.0.0.5", "host:ssh://root@10.0.0.5", false},
		{map[string]string{HostVar: "unix:///run/d2.sock", ContextVar: "nas"}, "unix:///run/d2.sock", "host:unix:///run/d2.sock", false},
		{map[string]string{HostVar: "tcp://u:s3cret@h:2376"}, "tcp://u:****@h:2376", "host:tcp://u:s3cret@h:2376", false},
		{map[string]string{HostVar: " ", ContextVar: " "}, "default", "context:", true},
	} {
		e := Of(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		if e.Name() != tc.name || e.Key() != tc.key || e.Default() != tc.def {
			t.Errorf("Of(%v) = %+v: name %q key %q default %v; want %q %q %v", tc.env, e, e.Name(), e.Key(), e.Default(), tc.name, tc.key, tc.def)
		}
	}
}
