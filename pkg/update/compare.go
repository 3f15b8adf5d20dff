package update

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// KeepRepo is the repository of the tags that keep previous images.
const KeepRepo = "kompose-rollback"

var notRepoChars = regexp.MustCompile(`[^a-z0-9]+`)

// KeepTag is the tag that keeps image id of service in project for a
// rollback: kompose-rollback/<project>:<service>-<12 hex digits of id>.
// The project is folded into what a repository path may hold (lowercase
// letters and digits, single dashes); a service name is a valid tag
// already.
func KeepTag(project, service, id string) string {
	repo := strings.Trim(notRepoChars.ReplaceAllString(strings.ToLower(project), "-"), "-")
	if repo == "" {
		repo = "stack"
	}
	tag := service + "-" + ShortHex(id)
	if len(tag) > 128 {
		tag = tag[len(tag)-128:]
	}
	return KeepRepo + "/" + repo + ":" + tag
}

// ShortHex is the first 12 hex digits of an image ID.
func ShortHex(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

// Short is an image ID as the output shows it: sha256:ab12cd34ef56….
func Short(id string) string {
	if id == "" {
		return "(none)"
	}
	return "sha256:" + ShortHex(id) + "…"
}

// Service is a service of the stack's project as update sees it.
type Service struct {
	Name  string
	Image string // the reference the compose file names
	// Pull is set when update pulls it: it has an image, is not built,
	// its pull_policy is not never or build, and it is not held back.
	Pull bool
	// Held says why update leaves a service it would pull alone
	// (x-kompose.update.pin, --exclude-service); "" when it does not.
	Held string
}

// Container is one container of the stack's project.
type Container struct {
	ID      string
	Service string
	ImageID string // the image it runs
	Running bool
}

// ServiceState is what one service looks like around the pull.
type ServiceState struct {
	Service
	// Before and After are the IDs the reference named locally before
	// and after the pull ("" when it named none).
	Before, After string
	// Runs is the image the service's running container runs ("" when
	// none runs); Ran is the image of a stopped container.
	Runs, Ran string
	// Changed: the reference names an image other than the one the
	// service's container runs (or, without a container, other than the
	// one it named before the pull).
	Changed bool
}

// Running reports whether the service has a running container.
func (s ServiceState) Running() bool { return s.Runs != "" }

// Comparison is the result of [Compare] for one stack.
type Comparison struct {
	Services []ServiceState
	// Running is set when any container of the stack runs.
	Running bool
}

// Compare works out, for each pulled service, whether its image changed:
// services are the project's, containers its containers, before and after
// the local image ID of each reference before and after the pull.
func Compare(services []Service, containers []Container, before, after map[string]string) Comparison {
	var c Comparison
	for _, ct := range containers {
		if ct.Running {
			c.Running = true
		}
	}
	for _, s := range services {
		if !s.Pull {
			continue
		}
		st := ServiceState{Service: s, Before: before[s.Image], After: after[s.Image]}
		for _, ct := range containers {
			if ct.Service != s.Name {
				continue
			}
			if ct.Running {
				// With several replicas, one on another image is enough.
				if st.Runs == "" || ct.ImageID != st.After {
					st.Runs = ct.ImageID
				}
			} else if st.Ran == "" {
				st.Ran = ct.ImageID
			}
		}
		switch {
		case st.After == "":
			// Nothing to compare with: the pull did not bring it.
		case st.Runs != "":
			st.Changed = st.Runs != st.After
		case st.Ran != "":
			st.Changed = st.Ran != st.After
		default:
			st.Changed = st.Before != st.After
		}
		c.Services = append(c.Services, st)
	}
	sort.Slice(c.Services, func(i, j int) bool { return c.Services[i].Name < c.Services[j].Name })
	return c
}

// Recreate returns the services to recreate: those of a running stack
// whose running container is on another image; for a stopped stack, with
// includeStopped, every changed service (nil without it).
func (c Comparison) Recreate(includeStopped bool) []ServiceState {
	var out []ServiceState
	for _, s := range c.Services {
		if !s.Changed {
			continue
		}
		if c.Running && s.Running() || !c.Running && includeStopped {
			out = append(out, s)
		}
	}
	return out
}

// Line says what happened to s, for the output: "app: nginx:1.27
// sha256:ab12… → sha256:cd34…", or "app: nginx:1.27 up to date". what is
// added in parentheses when not "".
func (s ServiceState) Line(what string) string {
	from := s.Runs
	if from == "" {
		from = s.Ran
	}
	if from == "" {
		from = s.Before
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s ", s.Name, s.Image)
	if s.Changed {
		fmt.Fprintf(&b, "%s → %s", Short(from), Short(s.After))
	} else {
		b.WriteString("up to date")
	}
	if what != "" {
		fmt.Fprintf(&b, " (%s)", what)
	}
	return b.String()
}
