// Package commands is kompose's table of commands: one row per command,
// compose's and kompose's, with every property the rest of kompose asks
// about a command (whose it is, which lock it takes, whether it reverses
// the order, is health-gated, reaches an engine, pings, or only reads).
//
// Nothing else in kompose keeps a list of command names: plan, run, ping
// and cmd/kompose read this table. docs/commands.md holds the table as
// [Markdown] prints it; a test keeps the two equal.
//
// A new command is a row here, an action (a plan.CommandFunc) or a view,
// and its docs (docs/architecture.md).
package commands

import (
	"sort"
	"strings"
)

// Owner is whose command it is.
type Owner int

// The owners of a command.
const (
	Compose Owner = iota // a docker compose subcommand, passed through
	Kompose              // kompose's own
)

func (o Owner) String() string {
	if o == Kompose {
		return "kompose"
	}
	return "compose"
}

// Kind is how kompose carries a command out.
type Kind int

// The kinds of command.
const (
	// Pass is a compose subcommand: planned with hooks, run by compose.
	Pass Kind = iota
	// Action is a kompose command planned with hooks whose step kompose
	// performs itself (a plan.CommandFunc: db:export, update).
	Action
	// View is a read-only view kompose answers before any plan is made
	// (hooks, status, hosts): no hook, no lock.
	View
	// Root is a command of the whole root that chooses its stacks itself
	// and runs plans of other commands for them (sync: up -d, down).
	Root
)

func (k Kind) String() string {
	switch k {
	case Action:
		return "action"
	case View:
		return "view"
	case Root:
		return "root"
	}
	return "compose"
}

// Lock is the stack lock a command holds while a stack runs.
type Lock int

// The stack locks.
const (
	// LockNone: the command takes no lock (it only reads, or it is a long
	// session inside running containers that must not hold others back).
	LockNone Lock = iota
	// LockShared: beside each other, never beside an exclusive holder
	// (commands with a finer lock of their own: the database commands).
	LockShared
	// LockExclusive: the command can change the stack.
	LockExclusive
)

func (l Lock) String() string {
	switch l {
	case LockShared:
		return "shared"
	case LockExclusive:
		return "exclusive"
	}
	return "none"
}

// Command is one row of the table.
type Command struct {
	Name  string
	Owner Owner
	Kind  Kind
	// Lock is the stack lock a real run holds for each stack.
	Lock Lock
	// Reverses: the command takes stacks down, so dependents go first
	// (and --with-deps adds dependents, not dependencies).
	Reverses bool
	// HealthGated: dependents wait until the stack's services run and
	// are healthy (--wait-timeout).
	HealthGated bool
	// Engine: the command reaches a Docker Engine, so a run checks the
	// stack's engine answers before it starts the stack.
	Engine bool
	// Pings: a run sends KOMPOSE_PING_URL's pings and KOMPOSE_NOTIFY_URL's
	// messages.
	Pings bool
	// ReadOnly: the command changes nothing (no container, file, image,
	// volume or database).
	ReadOnly bool
	// Summary says what the command is for, in a few words.
	Summary string
	// Swarm is what the command means for a stack deployed on Docker
	// Swarm (x-kompose.deploy: swarm); Hint, for a refused command, what
	// to do instead.
	Swarm SwarmUse
	Hint  string
}

// SwarmUse is what a command means for a Swarm stack (pkg/swarm).
type SwarmUse int

// The meanings of a command for a Swarm stack.
const (
	// SwarmRefused: no Swarm meaning; the stack fails with Hint, nothing
	// runs (not even its hooks).
	SwarmRefused SwarmUse = iota
	// SwarmSame: as for a compose stack (kompose's commands that read
	// files or reach the database in host mode, compose's local ones).
	SwarmSame
	// SwarmDeploy: docker stack deploy of the resolved, normalised file.
	SwarmDeploy
	// SwarmRemove: docker stack rm, then wait until the stack is gone.
	SwarmRemove
	// SwarmAnswers: answered by the Swarm's own commands (docker stack
	// ps, docker service logs/update/rollback).
	SwarmAnswers
)

func (u SwarmUse) String() string {
	switch u {
	case SwarmSame:
		return "as for compose"
	case SwarmDeploy:
		return "docker stack deploy"
	case SwarmRemove:
		return "docker stack rm, wait until gone"
	case SwarmAnswers:
		return "from the Swarm"
	}
	return "refused"
}

// row builders keep the table below one line per command.
func changes(name, summary string) Command {
	return Command{Name: name, Kind: Pass, Lock: LockExclusive, Engine: true, Pings: true, Summary: summary}
}

func reads(name, summary string) Command {
	return Command{Name: name, Kind: Pass, Lock: LockNone, Engine: true, ReadOnly: true, Summary: summary}
}

// quiet: a person's command at a terminal, never a cron job's: no pings.
func quiet(c Command) Command { c.Pings = false; return c }

func reverses(c Command) Command { c.Reverses = true; return c }

// on sets what c means for a Swarm stack.
func on(u SwarmUse, c Command) Command { c.Swarm = u; return c }

// refused sets why c has no Swarm meaning and what to do instead.
func refused(hint string, c Command) Command { c.Swarm, c.Hint = SwarmRefused, hint; return c }

// Hints of the commands a Swarm stack refuses.
const (
	hintNode    = "run it on the task's node: docker --context <node> ... (docker stack ps <project> names the node)"
	hintImage   = "build and push the image, name it in image: and run up"
	hintLife    = "the Swarm keeps the services running: use up (docker stack deploy) or down (docker stack rm); scale with deploy.replicas and up"
	hintService = "ask the Swarm: docker stack services <project>, docker service inspect, docker node ls"
	hintVolume  = "volumes live on the nodes: back them up on the node that runs the task (kompose against that node's engine, or a hook)"
	// HintSwarmVolume is why backup archives no volume of a Swarm stack
	// (it dumps the database).
	HintSwarmVolume = "a Swarm stack: " + hintVolume
	hintRun         = "one-off tasks: a service with deploy.restart_policy.condition: none, or docker service create"
)

func local(c Command) Command { c.Engine = false; return c }

func kompose(c Command, kind Kind) Command { c.Owner, c.Kind = Kompose, kind; return c }

// Table returns every command kompose knows, compose's first, each group
// in name order. The compose subcommands are those of Docker Compose v2 up
// to v2.40 (docker compose --help, with the hidden alpha and help); a
// newer compose's subcommand still passes through ([Lookup]).
func Table() []Command {
	session := func(name, summary string) Command { // inside running containers
		c := changes(name, summary)
		c.Lock = LockNone
		return c
	}
	attach := session("attach", "attach to a service's running container")
	attach.Pings = false // a person's session at a terminal, never a cron job's
	return []Command{
		refused(hintImage, changes("alpha", "experimental commands")),
		refused(hintNode, attach),
		refused(hintImage, changes("bridge", "convert the project to other formats")),
		refused(hintImage, changes("build", "build or rebuild services")),
		refused(hintNode, changes("commit", "create an image from a container")),
		on(SwarmAnswers, local(reads("config", "the project's resolved configuration"))),
		refused(hintNode, changes("cp", "copy files between a container and the host")),
		refused(hintLife, changes("create", "create the containers")),
		on(SwarmRemove, reverses(changes("down", "stop and remove the containers and networks"))),
		refused(hintService, reads("events", "the containers' events")),
		refused(hintNode, session("exec", "run a command in a running container")),
		refused(hintNode, changes("export", "export a container's file system as a tar archive")),
		on(SwarmSame, local(reads("help", "compose's help"))),
		refused(hintService, reads("images", "the images the containers use")),
		refused(hintLife, reverses(changes("kill", "kill the containers"))),
		on(SwarmAnswers, reads("logs", "the containers' output")),
		refused(hintService, reads("ls", "the running projects")),
		refused(hintLife, reverses(changes("pause", "pause the services"))),
		refused(hintService, reads("port", "the public port of a binding")),
		on(SwarmAnswers, reads("ps", "the containers")),
		refused(hintImage, changes("publish", "publish the project as an artifact")),
		on(SwarmAnswers, changes("pull", "pull the services' images")),
		refused(hintImage, changes("push", "push the services' images")),
		on(SwarmAnswers, changes("restart", "restart the containers")),
		refused(hintLife, reverses(changes("rm", "remove stopped containers"))),
		refused(hintRun, changes("run", "run a one-off command")),
		refused(hintLife, changes("scale", "scale services")),
		refused(hintLife, changes("start", "start the services")),
		refused(hintNode, reads("stats", "the containers' resource usage")),
		refused(hintLife, reverses(changes("stop", "stop the services"))),
		refused(hintNode, reads("top", "the containers' processes")),
		refused(hintLife, changes("unpause", "unpause the services")),
		{Name: "up", Kind: Pass, Lock: LockExclusive, HealthGated: true, Engine: true, Pings: true, Summary: "create and start the containers", Swarm: SwarmDeploy},
		on(SwarmSame, local(reads("version", "compose's version"))),
		refused(hintVolume, reads("volumes", "the project's volumes")),
		refused(hintNode, reads("wait", "wait for the containers to stop")),
		refused(hintImage, changes("watch", "rebuild and refresh on file changes")),

		on(SwarmSame, kompose(shared("db:export", "dump the database"), Action)),
		on(SwarmSame, kompose(shared("db:import", "load a dump into a scratch database, then swap it in"), Action)),
		on(SwarmSame, kompose(local(shared("db:cleanup", "delete old dumps")), Action)),
		on(SwarmSame, kompose(local(reads("db:list", "the dumps")), Action)),
		refused(hintVolume, kompose(shared("vol:export", "archive the volumes and bind mounts"), Action)),
		refused(hintVolume, kompose(changes("vol:import", "restore an archive into its volume, keeping a safety copy"), Action)),
		on(SwarmSame, kompose(local(shared("vol:cleanup", "delete old volume archives")), Action)),
		on(SwarmSame, kompose(local(reads("vol:list", "the volume archives")), Action)),
		on(SwarmSame, kompose(local(reads("vol:verify", "read archives in full and compare them with their manifests")), Action)),
		on(SwarmSame, kompose(shared("backup", "db:export, then vol:export"), Action)),
		on(SwarmSame, kompose(local(shared("prune", "db:cleanup and vol:cleanup")), Action)),
		on(SwarmSame, kompose(shared("verify", "db:verify, then vol:verify: every backup kind of the stack"), Action)),
		on(SwarmSame, kompose(shared("db:verify", "restore drill: load a dump into a throwaway database, compare, drop it"), Action)),
		on(SwarmAnswers, kompose(changes("update", "pull, recreate what changed"), Action)),
		on(SwarmAnswers, kompose(changes("rollback", "back to the images before an update"), Action)),
		on(SwarmSame, kompose(quiet(local(changes("env:encrypt", "encrypt the .env to .env.age with age"))), Action)),
		on(SwarmSame, kompose(quiet(local(changes("env:edit", "edit the .env.age: decrypt, $EDITOR, check, encrypt"))), Action)),
		on(SwarmSame, kompose(local(reads("hooks", "the hooks a command would run")), View)),
		on(SwarmSame, kompose(reads("hosts", "the engines the stacks use"), View)),
		on(SwarmAnswers, kompose(reads("status", "state, health, engine and last dump of each stack"), View)),
		on(SwarmSame, kompose(changes("sync", "follow the root's git upstream: fast-forward, up -d the stacks that changed"), Root)),
	}
}

func shared(name, summary string) Command {
	c := changes(name, summary)
	c.Lock = LockShared
	return c
}

// Lookup returns the row of name. A name the table does not hold is taken
// for a subcommand of a newer compose and gets the cautious row: compose's,
// an exclusive lock, an engine check and pings, not read-only, refused on
// a Swarm stack.
func Lookup(name string) Command {
	if c, ok := Find(name); ok {
		return c
	}
	c := refused(hintService, changes(name, ""))
	return c
}

// Find returns the row of name, and whether the table holds it.
func Find(name string) (Command, bool) {
	for _, c := range Table() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Names returns the names of the rows that match keep, sorted.
func Names(keep func(Command) bool) []string {
	var out []string
	for _, c := range Table() {
		if keep(c) {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// ComposeNames are the compose subcommands kompose knows, sorted.
func ComposeNames() []string {
	return Names(func(c Command) bool { return c.Owner == Compose })
}

// OfKind returns the names of kompose's commands of kind k, sorted.
func OfKind(k Kind) []string {
	return Names(func(c Command) bool { return c.Owner == Kompose && c.Kind == k })
}

// InKomposeNamespace reports whether name is in kompose's own name:verb
// namespace (compose has no subcommand with a colon).
func InKomposeNamespace(name string) bool { return strings.Contains(name, ":") }

// Markdown prints the table as docs/commands.md holds it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| command | owner | kind | stack lock | reverses order | health-gated | reaches an engine | pings | read-only | on Swarm |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	yes := func(v bool) string {
		if v {
			return "yes"
		}
		return "–"
	}
	for _, c := range Table() {
		b.WriteString("| `" + c.Name + "` | " + c.Owner.String() + " | " + c.Kind.String() + " | " + c.Lock.String() +
			" | " + yes(c.Reverses) + " | " + yes(c.HealthGated) + " | " + yes(c.Engine) + " | " + yes(c.Pings) + " | " + yes(c.ReadOnly) + " | " + c.Swarm.String() + " |\n")
	}
	return b.String()
}
