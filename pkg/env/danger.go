package env

import (
	"strings"
)

// AllowVar names the variables a .env file may set although they make a
// shell, the dynamic loader or a language runtime run code
// ([Dangerous]): a comma-separated list of names, read only from the
// process environment and -e, never from a .env file.
const AllowVar = "KOMPOSE_ALLOW_ENV"

// dangerous are the variables that make a program run code it was not
// asked to run, each with what it does. docs/security.md lists them.
var dangerous = map[string]string{
	// bash and sh
	"BASH_ENV":            "makes every non-interactive bash (each hook) source the file it names",
	"ENV":                 "makes an interactive sh (and bash in POSIX mode) source the file it names",
	"SHELLOPTS":           "sets bash options in every bash (xtrace prints every command with its values)",
	"BASHOPTS":            "sets bash options in every bash",
	"PROMPT_COMMAND":      "is a command bash runs",
	"PS4":                 "is expanded, command substitutions included, before every traced bash command",
	"IFS":                 "changes how every shell splits words",
	"CDPATH":              "changes where cd in a hook goes",
	"GLOBIGNORE":          "changes what globs in a hook match",
	"EXECIGNORE":          "changes which programs a hook's bash finds",
	"BASH_XTRACEFD":       "sends bash's trace, with every value, to another file",
	"BASH_LOADABLES_PATH": "makes bash load builtins (code) from the folders it names",
	"INPUTRC":             "makes readline read the file it names",
	// the dynamic loader and the C library
	"GCONV_PATH":       "makes the C library load character-set modules (code) from the folder it names",
	"LOCPATH":          "makes the C library load locale data from the folder it names",
	"HOSTALIASES":      "makes the C library resolve host names through the file it names",
	"RESOLV_HOST_CONF": "makes the C library read resolver settings from the file it names",
	// language runtimes a hook may be written in
	"PYTHONSTARTUP":     "is a file python runs",
	"PYTHONPATH":        "makes python import modules (code) from the folders it names",
	"PYTHONHOME":        "makes python load its standard library from the folder it names",
	"PERL5OPT":          "holds options (-M: load a module) for every perl",
	"PERL5LIB":          "makes perl load modules (code) from the folders it names",
	"PERLLIB":           "makes perl load modules (code) from the folders it names",
	"RUBYOPT":           "holds options (-r: load a file) for every ruby",
	"RUBYLIB":           "makes ruby load code from the folders it names",
	"NODE_OPTIONS":      "holds options (--require: load a file) for every node",
	"JAVA_TOOL_OPTIONS": "holds options (-javaagent: load code) for every java",
	// git and ssh in hooks
	"GIT_SSH":         "is a program git runs",
	"GIT_SSH_COMMAND": "is a command git runs",
	"GIT_EXEC_PATH":   "makes git run its sub-programs from the folder it names",
	"GIT_ASKPASS":     "is a program git runs",
	"SSH_ASKPASS":     "is a program ssh runs",
	"GIT_PAGER":       "is a program git runs",
	"GIT_EDITOR":      "is a program git runs",
	AllowVar:          "is the permission itself; it must come from kompose's own environment or -e",
}

// Dangerous reports whether a variable makes a program run code and, if so,
// what it does. Besides the names listed in docs/security.md it covers
// every LD_* variable (the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH,
// LD_AUDIT, ...), GIT_CONFIG* (git configuration can name programs) and
// exported bash functions (BASH_FUNC_name%%), which replace commands in
// every bash.
func Dangerous(name string) (string, bool) {
	if why, ok := dangerous[name]; ok {
		return why, true
	}
	switch {
	case strings.HasPrefix(name, "LD_"):
		return "makes the dynamic loader load or look for libraries (code) in every program", true
	case strings.HasPrefix(name, "GIT_CONFIG"):
		return "gives git configuration, which can name programs git runs", true
	case strings.HasPrefix(name, "BASH_FUNC_"):
		return "defines a bash function, which replaces a command in every bash", true
	}
	return "", false
}

// allowed returns the names the user allows a .env file to set although
// they are dangerous: KOMPOSE_ALLOW_ENV from the process environment or -e
// (never from a .env file).
func (e *Env) allowed() map[string]bool {
	v, ok := e.vals[AllowVar]
	if !ok || (e.source[AllowVar] != SourceProcess && e.source[AllowVar] != SourceOverride) {
		return nil
	}
	out := map[string]bool{}
	for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if n != AllowVar {
			out[n] = true
		}
	}
	return out
}
