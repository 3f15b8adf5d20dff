package liblog

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/sirupsen/logrus"
)

// TestCapture: what compose-go logs lands in the Log, once each, and
// nowhere else.
func TestCapture(t *testing.T) {
	var out bytes.Buffer
	logrus.SetOutput(&out)
	l := Capture()
	for i := 0; i < 3; i++ {
		if _, err := template.Substitute("pw=Xk9$mT2qZ7", func(string) (string, bool) { return "", false }); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{`The "mT2qZ7" variable is not set. Defaulting to a blank string.`}
	if got := l.Take(); !reflect.DeepEqual(got, want) {
		t.Errorf("Take() = %q, want %q", got, want)
	}
	if got := l.Take(); got != nil {
		t.Errorf("second Take() = %q", got)
	}
	if out.Len() != 0 {
		t.Errorf("logrus still printed: %q", out.String())
	}
	var nilLog *Log
	if nilLog.Take() != nil {
		t.Error("nil Log holds messages")
	}
}
