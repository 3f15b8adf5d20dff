package jsonout

import (
	"reflect"
	"testing"

	"github.com/kompose-dev/kompose/pkg/env"
)

// TestMaskArgv: every -e/--env value that is not a KEY=VALUE kompose can
// read is recorded masked (it may be a secret typed with a colon or
// without its name), as is the value of a secret name or of a name that
// is not valid; URL passwords in any argument are masked.
func TestMaskArgv(t *testing.T) {
	m := env.NewMasker(env.FromEnviron([]string{"API_TOKEN=Tok-1234-abcd"}))
	in := []string{"kompose",
		"-e", "DB_PASSWORD:Hunter2Secret",
		"-eDB_PASSWORD:Hunter2Secret",
		"--env=DB_PASSWORD:Hunter2Secret",
		"--env", "Hunter2-Secret!",
		"-e", "DB PASSWORD=Hunter2Secret",
		"-e=DB_PASSWORD=Hunter2Secret",
		"-e", "HOST=10.0.0.5",
		"-e", "DEBUG",
		"blog", "exec", "web", "psql", "postgres://app:p%40ss-Unknown@db/app", "Tok-1234-abcd",
	}
	want := []string{"kompose",
		"-e", "****",
		"-e****",
		"--env=****",
		"--env", "****",
		"-e", "DB PASSWORD=****",
		"-e=DB_PASSWORD=****",
		"-e", "HOST=10.0.0.5",
		"-e", "DEBUG",
		"blog", "exec", "web", "psql", "postgres://app:****@db/app", "****",
	}
	if got := MaskArgv(in, m); !reflect.DeepEqual(got, want) {
		t.Errorf("MaskArgv:\n got %q\nwant %q", got, want)
	}
}
