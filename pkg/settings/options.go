package settings

import (
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/urfave/cli/v2"
)

// Usage is kompose's one-line description, UsageText its usage (the top
// of --help).
const Usage = "run docker compose, with hooks, over many stacks"

// UsageText is the usage part of --help.
const UsageText = `kompose [global options] <pattern> [--] <command> [args...]

   <pattern>  "*" for every stack, a name, a glob ("b*"), or a comma-separated
              list of them ("blog,news", "*,!legacy"); quote it for the shell.
   <command>  any docker compose subcommand (up, down, logs, ps, exec, ...),
              passed through with its arguments unchanged; or db:export,
              db:import [FILE], db:cleanup, db:list, db:verify (PostgreSQL
              dumps, see docs/database.md and docs/backups.md);
              update [--prune] [--include-stopped], rollback [N]
              (see docs/update.md). An unknown command stops,
              with the nearest name; "--" passes it to compose unchecked.

   Examples:
     kompose sexy up -d
     kompose "*" down --dry-run
     kompose "blog,news" logs -f --tail 50
     kompose -e DB_HOST=10.0.0.5 news up -d
     kompose "*" db:export --compress zstd
     kompose "*" update --prune
     kompose --list
     kompose "*" hooks up      (the hooks "up" would run, in order; runs nothing)
     kompose "*" status        (state, health, engine and last dump of each stack;
                               exit 0 only when all run and are healthy)
     kompose "*" status --json (the same as JSON; see docs/json.md)
     kompose hosts             (each engine the stacks use: answers? version, stacks)
     kompose version --json    (versions of kompose, docker, compose, bash: bug reports)
     kompose completion bash   (the shell's completion script; also zsh, fish)`

// GlobalFlags are kompose's global options, before the pattern. Each
// description says its default and the KOMPOSE_* variable behind it; the
// resolvers below and in pkg/plan read them.
func GlobalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan (hooks and commands, secrets masked) and run nothing; also recognised after the pattern"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set `KEY=VALUE` for every stack, above every .env (repeatable)"},
		&cli.StringFlag{Name: "network", Usage: "set NETWORK_NAME to `NAME` for every stack"},
		&cli.StringFlag{Name: "context", Usage: "run every selected stack on the docker context `NAME` (sets DOCKER_CONTEXT and clears DOCKER_HOST, above every .env; see docs/hosts.md)"},
		&cli.StringFlag{Name: "root", Usage: "the `DIR` holding the stacks (default: $KOMPOSE_ROOT, else ./stacks if it exists, else .)"},
		&cli.BoolFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the stacks the pattern selects (default: all) with their files, hooks and services"},
		&cli.BoolFlag{Name: "skip-hooks", Usage: "run no hook of any kind (also KOMPOSE_SKIP_HOOKS=1)"},
		&cli.StringSliceFlag{Name: "trust-user", Usage: "also accept hooks, hooks.sh and their folders owned by the account `NAME` (repeatable; also $KOMPOSE_TRUSTED_USERS=a,b from the process environment, never from a .env): that account can then make kompose run anything as you"},
		&cli.StringFlag{Name: "hook-timeout", Usage: "kill a hook, with its whole process group, after `DURATION` (30s, 5m; 0: no limit; default $KOMPOSE_HOOK_TIMEOUT from the environment or a stack's .env)"},
		&cli.BoolFlag{Name: "prefix", Usage: "prefix each line compose and the hooks print with the stack's name (\"blog | \"); default: on when more than one stack is selected and stdout is not a terminal (also KOMPOSE_PREFIX=1/0)"},
		&cli.BoolFlag{Name: "no-prefix", Usage: "never prefix the lines compose and the hooks print"},
		&cli.BoolFlag{Name: "json", Usage: "print --list, hooks, status, hosts, db:list, vol:list or a --dry-run plan as JSON (docs/json.md); nothing else on stdout"},
		&cli.StringFlag{Name: "report", Usage: "write a JSON report of the run to `FILE` at the end, also after a failure or interrupt (docs/json.md)"},
		&cli.StringFlag{Name: "metrics-file", Usage: "merge the run's results into the Prometheus text file `FILE` (node_exporter textfile collector)"},
		&cli.StringFlag{Name: "parallel", Aliases: []string{"j"}, Usage: "run up to `N` independent stacks at once, within the dependency order; their lines are prefixed with the stack (default 1, one after the other; also $KOMPOSE_PARALLEL)"},
		&cli.BoolFlag{Name: "with-deps", Usage: "also run the stacks the selected ones depend on, transitively (for down, stop, kill, rm, pause: the stacks that depend on them)"},
		&cli.StringFlag{Name: "wait-timeout", Usage: "for up: how long a stack waits for the stacks it depends on to be running and healthy (`DURATION`; default 2m, also $KOMPOSE_WAIT_TIMEOUT; 0: do not wait)"},
		&cli.StringFlag{Name: "lock-timeout", Usage: "how long to wait for a stack's lock, held by another kompose changing it (`DURATION`; default 1m, also $KOMPOSE_LOCK_TIMEOUT; 0: fail at once; the database lock's is db:*'s --db-lock-timeout)"},
		&cli.BoolFlag{Name: "version", Usage: "print the version, the commit and the build date (kompose version --json: also docker's, compose's and bash's)"},
		&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "print this help"},
	}
}

// Options are the parsed global options (urfave/cli's *cli.Context).
type Options interface {
	IsSet(name string) bool
	String(name string) string
	Bool(name string) bool
	StringSlice(name string) []string
}

// FlagOf is the option name as the command line gave it; name is how
// messages write it ("--hook-timeout").
func FlagOf(o Options, name string) Flag {
	n := strings.TrimLeft(name, "-")
	return Flag{Name: name, Set: o.IsSet(n), Value: o.String(n)}
}

// TrustedUsersVar names the accounts, comma-separated, whose files kompose
// accepts besides root's and the invoking user's. It is read from the
// process environment only: a .env file cannot widen trust.
const TrustedUsersVar = "KOMPOSE_TRUSTED_USERS"

// Policy is the trust rule of a run: root, the invoking user, and the
// accounts named by --trust-user and $KOMPOSE_TRUSTED_USERS in the process
// environment environ.
func Policy(o Options, environ []string) (trust.Policy, error) {
	pol := trust.Current()
	names := o.StringSlice("trust-user")
	v, _, _ := FromEnviron(environ)(TrustedUsersVar)
	for _, n := range strings.Split(v, ",") {
		names = append(names, strings.TrimSpace(n))
	}
	uids, err := trust.LookupUsers(names)
	if err != nil {
		return pol, fmt.Errorf("--trust-user / %s: %w", TrustedUsersVar, err)
	}
	pol.Trusted = uids
	return pol, nil
}

// PrefixVar turns prefixing on (1) or off (0) when neither --prefix nor
// --no-prefix is given.
const PrefixVar = "KOMPOSE_PREFIX"

// Prefix decides whether output lines get their stack's name: --prefix or
// --no-prefix, else KOMPOSE_PREFIX from the process environment, else on
// when the lines of several stacks end up in one stream that is not a
// terminal (kompose "*" ps > file). On a terminal kompose's own "==>
// stack" lines tell the stacks apart, and compose keeps its terminal
// (progress, exec -it).
func Prefix(o Options, environ []string, stacks int, outTTY bool) (bool, error) {
	on, off := o.Bool("prefix"), o.Bool("no-prefix")
	switch {
	case on && off:
		return false, fmt.Errorf("--prefix and --no-prefix: give one of them")
	case on || off:
		return on, nil
	}
	return Setting{Var: PrefixVar, Lookup: FromEnviron(environ)}.Bool(stacks > 1 && !outTTY)
}

// ParallelVar sets -j when it is not given: from the process environment,
// the root .env or -e.
const ParallelVar = "KOMPOSE_PARALLEL"

// Parallel is how many stacks run at once: -j/--parallel, else
// KOMPOSE_PARALLEL from the base environment (the process environment
// environ under global, the root .env and -e), else 1.
func Parallel(o Options, environ []string, global []env.Var) (int, error) {
	base := env.FromEnviron(environ)
	for _, g := range global {
		base.Override(g.Name, g.Value, g.Source)
	}
	f := FlagOf(o, "--parallel")
	f.Name = "-j/--parallel"
	return Setting{Flag: f, Var: ParallelVar, Lookup: FromEnv(base)}.Int(1, 1, "a number of stacks")
}
