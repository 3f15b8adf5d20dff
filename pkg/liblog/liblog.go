// Package liblog keeps what libraries log from reaching people unfiltered.
//
// compose-go, which kompose uses to read compose files, logs warnings
// through logrus's global logger, straight to standard error by default.
// Those warnings quote values ("The \"mT2qZ7\" variable is not set", where
// mT2qZ7 is the end of a password), name no stack or file, and repeat for
// every use. [Capture] routes them into a [Log] instead, from which kompose
// takes them after each call into compose-go, to print them masked and
// attributed to the stack and file they concern.
//
// logrus's logger is global state of that library: [Capture] changes it
// once, at the program's entry point, before anything logs. kompose itself
// keeps no global state: the Log is passed to whoever needs it.
package liblog

import (
	"io"
	"sync"

	"github.com/sirupsen/logrus"
)

// Log collects the messages libraries log. The zero value and nil are
// usable (a nil Log holds nothing).
type Log struct {
	mu   sync.Mutex
	msgs []string
}

// Capture routes logrus's standard logger into a new Log and nowhere else,
// and returns the Log. Call it once, from main.
func Capture() *Log {
	l := &Log{}
	std := logrus.StandardLogger()
	std.SetOutput(io.Discard)
	std.ReplaceHooks(logrus.LevelHooks{})
	std.AddHook(l)
	return l
}

// Levels implements logrus.Hook: every level.
func (l *Log) Levels() []logrus.Level { return logrus.AllLevels }

// Fire implements logrus.Hook.
func (l *Log) Fire(e *logrus.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, e.Message)
	return nil
}

// Take returns the messages logged since the last Take, oldest first, each
// once (a message repeated for every use of a variable is given once).
func (l *Log) Take() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, m := range l.msgs {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	l.msgs = nil
	return out
}
