package hooks

import (
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
)

// VarEnvFile names the file a hook writes KEY=VALUE lines to, to pass
// variables on to the later steps of its stack.
const VarEnvFile = "KOMPOSE_ENV"

// Assignment is one variable a hook passed on through $KOMPOSE_ENV.
type Assignment struct {
	Name, Value string
	Line        int
}

// unsafeName reports why a hook may not pass on a variable, "" when it
// may.
func unsafeName(name string) string {
	if strings.HasPrefix(name, "KOMPOSE_") {
		return "KOMPOSE_* variables are kompose's own"
	}
	if why, ok := env.Dangerous(name); ok {
		return "it " + why
	}
	return ""
}

// ParseEnvFile reads what a hook wrote to $KOMPOSE_ENV. The format is
// GitHub Actions' GITHUB_ENV:
//
//	NAME=value               (the value is the rest of the line, as is)
//	NAME<<DELIMITER          (a multi-line value: the lines up to a line
//	line one                  that is exactly DELIMITER)
//	DELIMITER
//
// Empty lines and lines starting with # are ignored. A name is letters,
// digits and '_', not starting with a digit. Every other line, and names a
// hook may not set (KOMPOSE_*, BASH_ENV, LD_PRELOAD and their kind), are
// left out with a problem that names the line, never its value. file names
// the hook in the problems. Later lines win over earlier ones.
func ParseEnvFile(data []byte, file string) (vars []Assignment, problems []string) {
	text := string(data)
	lines := strings.Split(text, "\n")
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1]
	}
	problem := func(n int, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("%s line %d: ", file, n)+fmt.Sprintf(format, a...))
	}
	for i := 0; i < len(lines); i++ {
		n, line := i+1, strings.TrimSuffix(lines[i], "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var name, value string
		eq, hd := strings.IndexByte(line, '='), strings.Index(line, "<<")
		switch {
		case hd > 0 && (eq < 0 || hd < eq) && validEnvName(line[:hd]):
			delim := line[hd+2:]
			name = line[:hd]
			if delim == "" {
				problem(n, "%s<< has no delimiter; ignored", name)
				continue
			}
			end := -1
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSuffix(lines[j], "\r") == delim {
					end = j
					break
				}
			}
			if end < 0 {
				problem(n, "%s<<%s has no closing %s line; ignored with the rest of the file", name, delim, delim)
				return vars, problems
			}
			var b []string
			for _, l := range lines[i+1 : end] {
				b = append(b, strings.TrimSuffix(l, "\r"))
			}
			value = strings.Join(b, "\n")
			i = end
		case eq > 0 && validEnvName(line[:eq]):
			name, value = line[:eq], line[eq+1:]
		default:
			problem(n, "not NAME=VALUE (a name is letters, digits and _, not starting with a digit); ignored")
			continue
		}
		if strings.IndexByte(value, 0) >= 0 {
			problem(n, "the value of %s holds a NUL byte; ignored", name)
			continue
		}
		if why := unsafeName(name); why != "" {
			problem(n, "%s may not be passed on (%s); ignored", name, why)
			continue
		}
		vars = append(vars, Assignment{Name: name, Value: value, Line: n})
	}
	return vars, problems
}

func validEnvName(k string) bool {
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return k != ""
}
