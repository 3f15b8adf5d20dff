package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/status"
)

// FilePlaceholder stands, in the plan, for the private temporary file
// that holds the normalised compose file while docker stack deploy reads
// it (its name is known only when it is written).
const FilePlaceholder = "TMPDIR/kompose-swarm-XXXXXX/stack.yaml"

// RemoveTimeoutVar limits how long down waits until the stack's
// services, networks, tasks and containers are gone (default
// [DefaultRemoveTimeout]).
const RemoveTimeoutVar = "KOMPOSE_SWARM_RM_TIMEOUT"

// DefaultRemoveTimeout is how long down waits by default.
const DefaultRemoveTimeout = 2 * time.Minute

// Poll is how often down and the health gate ask the manager again.
const Poll = 500 * time.Millisecond

// Plan is the plan.CommandFunc of every command the table gives a Swarm
// meaning (up, down, ps, logs, config, pull, restart, update, rollback)
// for a Swarm stack: it resolves and normalises the stack's project with
// its environment (the normalisation's warnings become the stack's) and
// returns the step, whose Action runs the Swarm's commands.
func Plan(s *plan.Stack, command string, args []string) (plan.Step, error) {
	p := &planned{stack: s, command: command, args: args}
	p.project = compose.NewFiles().ProjectName(s.Dir, s.ComposeFile, s.Env.Lookup)
	proj, err := compose.NewResolvedProject(s.Dir, s.ComposeFile, s.Env.Map()).Load(context.Background())
	if err != nil {
		return plan.Step{}, err
	}
	if p.norm, err = Normalise(proj, ""); err != nil {
		return plan.Step{}, err
	}
	s.Warnings = append(s.Warnings, p.norm.Warnings...)
	if err := p.build(); err != nil {
		return plan.Step{}, err
	}
	if p.deploy {
		s.Ready = ready(s, p.project)
	}
	a := &Action{p: p}
	first := p.argvs[0]
	return plan.Step{Label: first[0], Args: first[1:], Action: a}, nil
}

// planned is what Plan worked out for one stack.
type planned struct {
	stack   *plan.Stack
	command string
	args    []string
	project string
	norm    *Normalised
	// argvs are the docker commands, in order (logs: at once).
	argvs [][]string
	// deploy: argvs[0] reads the normalised file (FilePlaceholder).
	deploy bool
	// remove: wait until the stack is gone after argvs.
	remove bool
	// together: run argvs at once (logs of every service).
	together bool
	// print: the command prints the normalised file (config), masked.
	print []byte
	// noPrevious: rollback of a service never updated is not an error.
	noPrevious bool
}

// services returns the stack's services named in args (all when none),
// as the Swarm names them (<project>_<service>); an unknown one is a
// usage error naming the known ones.
func (p *planned) services(names []string) ([]string, error) {
	if len(names) == 0 {
		names = p.norm.Services
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(p.norm.Services, n) {
			return nil, plan.Usagef("%s: no service %q in %s (services: %s)", p.command, n, p.stack.Name, strings.Join(p.norm.Services, ", "))
		}
		out = append(out, p.project+"_"+n)
	}
	return out, nil
}

// split separates options from service names: options start with "-";
// valued are the options whose value is the next word.
func split(args []string, valued ...string) (opts, names []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			names = append(names, a)
			continue
		}
		opts = append(opts, a)
		if slices.Contains(valued, a) && i+1 < len(args) {
			i++
			opts = append(opts, args[i])
		}
	}
	return opts, names
}

// only is a usage error unless every option of opts is one of allowed
// (the values of options, which do not start with "-", are not looked at).
func only(command string, opts []string, allowed ...string) error {
	for _, o := range opts {
		name, _, _ := strings.Cut(o, "=")
		if strings.HasPrefix(o, "-") && !slices.Contains(allowed, name) {
			return plan.Usagef("%s %s: not an option of %s for a Swarm stack (it takes: %s)", command, o, command, strings.Join(allowed, " "))
		}
	}
	return nil
}

// build fills p.argvs for p.command.
func (p *planned) build() error {
	switch commands.Lookup(p.command).Swarm {
	case commands.SwarmDeploy:
		opts, names := split(p.args, "--pull")
		if err := only(p.command, opts, "-d", "--detach", "--wait", "--remove-orphans", "--quiet-pull", "--no-build", "--pull"); err != nil {
			return err
		}
		if len(names) > 0 {
			return plan.Usagef("up %s: docker stack deploy deploys the whole stack, not single services", strings.Join(names, " "))
		}
		p.deploy = true
		p.argvs = [][]string{{"docker", "stack", "deploy", "--compose-file", FilePlaceholder, "--with-registry-auth", "--prune", "--detach=false", "--quiet", p.project}}
		return nil
	case commands.SwarmRemove:
		if len(p.args) > 0 {
			return plan.Usagef("down %s: docker stack rm takes no options (volumes stay on the nodes)", strings.Join(p.args, " "))
		}
		p.remove = true
		p.argvs = [][]string{{"docker", "stack", "rm", p.project}}
		return nil
	}
	return p.answers()
}

// answers fills p.argvs for the commands the Swarm answers.
func (p *planned) answers() error {
	switch p.command {
	case "ps":
		return p.ps()
	case "logs":
		return p.logs()
	case "config":
		return p.config()
	case "pull":
		return p.perService(nil, func(svc, image string) []string { return []string{"docker", "pull", image} })
	case "restart":
		return p.perService(nil, func(svc, _ string) []string {
			return []string{"docker", "service", "update", "--force", "--detach=false", "--quiet", svc}
		})
	case "update":
		return p.perService([]string{}, func(svc, image string) []string {
			return []string{"docker", "service", "update", "--image", image, "--with-registry-auth", "--update-failure-action", "rollback", "--detach=false", "--quiet", svc}
		})
	case "rollback":
		p.noPrevious = true
		return p.perService([]string{}, func(svc, _ string) []string {
			return []string{"docker", "service", "rollback", "--detach=false", "--quiet", svc}
		})
	}
	return fmt.Errorf("%s: no Swarm plan for it", p.command)
}

// ps is docker stack ps: the tasks that should run, or all with -a.
func (p *planned) ps() error {
	opts, names := split(p.args, "--format", "--filter", "-f")
	if len(names) > 0 {
		return plan.Usagef("ps %s: docker stack ps lists the whole stack (docker service ps <project>_<service> one service)", strings.Join(names, " "))
	}
	argv := []string{"docker", "stack", "ps"}
	all := false
	for _, o := range opts {
		switch o {
		case "-a", "--all":
			all = true
		default:
			argv = append(argv, o)
		}
	}
	if !all {
		argv = append(argv, "--filter", "desired-state=running")
	}
	p.argvs = [][]string{append(argv, p.project)}
	return nil
}

// logs is one docker service logs per service, all at once.
func (p *planned) logs() error {
	opts, names := split(p.args, "--tail", "-n", "--since")
	if err := only("logs", opts, "-f", "--follow", "-t", "--timestamps", "--tail", "-n", "--since", "--no-color", "--no-log-prefix", "--details", "--raw", "--no-trunc", "--no-task-ids", "--no-resolve"); err != nil {
		return err
	}
	var keep []string
	for _, o := range opts {
		if o != "--no-color" && o != "--no-log-prefix" {
			keep = append(keep, o)
		}
	}
	svcs, err := p.services(names)
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		p.argvs = append(p.argvs, append(append([]string{"docker", "service", "logs"}, keep...), svc))
	}
	p.together = true
	return nil
}

// config prints the normalised file (masked), or the services or images.
func (p *planned) config() error {
	opts, _ := split(p.args)
	if err := only("config", opts, "--services", "--images", "-q", "--quiet"); err != nil {
		return err
	}
	switch {
	case slices.Contains(opts, "-q") || slices.Contains(opts, "--quiet"):
		p.print = nil
	case slices.Contains(opts, "--services"):
		p.print = []byte(strings.Join(p.norm.Services, "\n") + "\n")
	case slices.Contains(opts, "--images"):
		var imgs []string
		for _, s := range p.norm.Services {
			imgs = append(imgs, p.norm.Images[s])
		}
		p.print = []byte(strings.Join(imgs, "\n") + "\n")
	default:
		// Masked value by value: YAML may quote a secret ('it''s') or
		// spread it over lines, where masking the text would miss it.
		b, err := p.norm.Masked(p.stack.Masker.Arg)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		p.print = b
	}
	// The label of the step: what it prints from.
	p.argvs = [][]string{{"docker", "stack", "config", "--compose-file", FilePlaceholder}}
	return nil
}

// perService plans one command per service named in args (all when
// none); opts, when not nil, are the options allowed (none: a usage
// error for any).
func (p *planned) perService(allowed []string, argv func(svc, image string) []string) error {
	opts, names := split(p.args)
	if (p.command == "update" || p.command == "rollback") && len(opts) > 0 {
		// update --check, rollback --restore ... over the fleet (cron):
		// compose stacks only; a Swarm stack is skipped, not failed.
		return &plan.SkipError{Reason: fmt.Sprintf("%s %s: compose stacks only; a Swarm stack %ss with docker service %s (kompose %s without options)",
			p.command, strings.Join(opts, " "), p.command, p.command, p.command)}
	}
	if err := only(p.command, opts, allowed...); err != nil {
		return err
	}
	svcs, err := p.services(names)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = p.norm.Services
	}
	seen := map[string]bool{}
	for i, svc := range svcs {
		a := argv(svc, p.norm.Images[names[i]])
		if p.command == "pull" {
			if seen[a[2]] || a[2] == "" {
				continue // one pull per image
			}
			seen[a[2]] = true
		}
		p.argvs = append(p.argvs, a)
	}
	if len(p.argvs) == 0 {
		return &plan.SkipError{Reason: "no service with an image"}
	}
	return nil
}

// ready is the health gate of a Swarm stack: its services converged,
// read from its manager (status.ReadSwarm, four calls).
func ready(s *plan.Stack, project string) func(ctx context.Context, p proc.Runner) (bool, string, bool, error) {
	return func(ctx context.Context, p proc.Runner) (bool, string, bool, error) {
		stacks, err := status.ReadSwarm(ctx, dockerOf(p, s.Dir), s.Env.Environ(), project)
		if err != nil {
			return false, s.Masker.String(err.Error()), false, nil
		}
		st := stacks[project]
		if st == nil {
			return false, "no service of " + project + " on the Swarm", false, nil
		}
		ok, pending, final := st.Converged()
		return ok, pending, final, nil
	}
}
