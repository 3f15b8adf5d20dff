package swarm

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Normalised is a compose project as docker stack deploy accepts it.
type Normalised struct {
	// YAML is the file to deploy. It holds the interpolated values of the
	// stack's environment (secrets among them): write it only with
	// [WriteTemp], print it only masked.
	YAML []byte
	// Services are the project's service names, sorted; on the Swarm
	// each is named <project>_<service>.
	Services []string
	// Images are the services' images by service.
	Images map[string]string
	// Warnings name, with the files and the key, what Swarm ignores or
	// kompose left out.
	Warnings []string
	// Files are the contents of the secrets and configs compose takes
	// from the environment or inline (content:), which stack deploy does
	// not: the file refers to them as ./secrets/<key> and ./configs/<key>,
	// next to it; [WriteTemp] writes them. They hold secrets.
	Files map[string][]byte
	// doc is the normalised project, its values as compose resolved them
	// (before [escapeDollars]).
	doc map[string]any
}

// serviceKeys are the service keys docker stack deploy's schema (3.x)
// holds and Swarm uses; they pass unchanged.
func serviceKeys() []string {
	return []string{
		"cap_add", "cap_drop", "command", "configs", "credential_spec", "depends_on", "deploy", "dns", "dns_opt", "dns_search",
		"domainname", "entrypoint", "environment", "expose", "extra_hosts", "healthcheck", "hostname", "image",
		"init", "isolation", "labels", "logging", "networks", "ports", "read_only", "secrets", "stop_grace_period",
		"stop_signal", "stdin_open", "sysctls", "tmpfs", "tty", "ulimits", "user", "volumes", "working_dir",
	}
}

// ignoredKeys are service keys Swarm ignores (or stack deploy rejects),
// with what to do instead; they are left out of the deployed file and
// warned about.
func ignoredKeys() map[string]string {
	return map[string]string{
		"build":           "Swarm does not build: build and push the image, name it in image:",
		"container_name":  "Swarm names the tasks <project>_<service>.<n>",
		"restart":         "use deploy.restart_policy",
		"links":           "services reach each other by name on the stack's networks",
		"external_links":  "attach the service to the other stack's network",
		"network_mode":    "use networks:",
		"security_opt":    "Swarm ignores it",
		"userns_mode":     "Swarm ignores it",
		"cgroup_parent":   "Swarm ignores it",
		"devices":         "Swarm ignores it",
		"privileged":      "Swarm ignores it",
		"pid":             "Swarm ignores it",
		"ipc":             "Swarm ignores it",
		"mem_limit":       "use deploy.resources.limits.memory",
		"mem_reservation": "use deploy.resources.reservations.memory",
		"cpus":            "use deploy.resources.limits.cpus",
		"scale":           "use deploy.replicas",
		"pull_policy":     "the nodes pull at deploy time (--with-registry-auth)",
		"platform":        "use deploy.placement.constraints",
		"profiles":        "every service of the resolved project is deployed",
	}
}

// quiet reports the service keys left out without a warning: their
// content is already in the file (env_file's variables are in
// environment).
func quiet(k string) bool { return k == "env_file" }

// Normalise turns p, the project as compose resolves it with the stack's
// environment (interpolation done), into what docker stack deploy
// accepts: no top-level name, long ports with numbers, depends_on as a
// list, no null entrypoint or command, networks and volumes without the
// names compose gives them by default, and without the keys Swarm
// ignores (each warned about, naming where, the stack's compose files).
func Normalise(p *types.Project, where string) (*Normalised, error) {
	raw, err := p.MarshalYAML()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: the resolved project: %w", where, err)
	}
	n := &Normalised{Images: map[string]string{}, Files: map[string][]byte{}}
	warn := func(key, why string) {
		if where != "" {
			key = where + ": " + key
		}
		n.Warnings = append(n.Warnings, key+": "+why)
	}
	delete(doc, "name")
	services, _ := doc["services"].(map[string]any)
	for name, v := range services {
		svc, ok := v.(map[string]any)
		if !ok {
			continue
		}
		n.Services = append(n.Services, name)
		if img, ok := svc["image"].(string); ok {
			n.Images[name] = img
		} else {
			warn("services."+name, "no image: Swarm needs one")
		}
		if err := normaliseService(name, svc, warn); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	sort.Strings(n.Services)
	for _, kind := range []string{"networks", "volumes", "configs", "secrets"} {
		unDefaultNames(p.Name, doc, kind)
	}
	if err := inlineFiles(p, doc, n); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	n.doc = doc
	if n.YAML, err = n.Masked(nil); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	sort.Strings(n.Warnings)
	return n, nil
}

// Masked returns the file to deploy with mask applied to every string
// value first (nil: none), value by value, so that a secret is hidden
// whatever quoting or block style YAML gives it. Every $ is written $$:
// docker stack deploy interpolates the file again, from kompose's own
// environment, and the values are already resolved.
func (n *Normalised) Masked(mask func(string) string) ([]byte, error) {
	doc := mapStrings(n.doc, func(s string) string {
		if mask != nil {
			s = mask(s)
		}
		return escapeDollars(s)
	})
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fileKey is what a secret's or config's key may be to name its file
// (compose's schema allows no other).
var fileKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// inlineFiles moves the secrets and configs that compose takes from the
// environment (environment: VAR) or inline (content:), which stack
// deploy rejects, into n.Files, the file referring to them by a path
// relative to itself (stack deploy resolves it from the file's folder).
func inlineFiles(p *types.Project, doc map[string]any, n *Normalised) error {
	for _, kind := range []string{"secrets", "configs"} {
		all, _ := doc[kind].(map[string]any)
		for k, v := range all {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			var content string
			if name, ok := m["environment"].(string); ok {
				val, set := p.Environment[name]
				if !set {
					return fmt.Errorf("%s.%s.environment: %s is not set", kind, k, name)
				}
				content = val
			} else if c, ok := m["content"].(string); ok {
				content = c
			} else {
				continue
			}
			if !fileKey.MatchString(k) || k == "." || k == ".." {
				return fmt.Errorf("%s.%s: not a name kompose can give a file", kind, k)
			}
			delete(m, "environment")
			delete(m, "content")
			rel := kind + "/" + k
			m["file"] = "./" + rel
			n.Files[rel] = []byte(content)
		}
	}
	return nil
}

// escapeDollars writes every $ of s as $$, which docker stack deploy's
// interpolation turns back into $.
func escapeDollars(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// mapStrings returns a copy of v (maps, lists, scalars as yaml decodes
// them) with f applied to every string value; keys are kept: stack
// deploy interpolates values only.
func mapStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mapStrings(e, f)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapStrings(e, f)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = f(e)
		}
		return out
	}
	return v
}

// normaliseService rewrites one service in place.
func normaliseService(name string, svc map[string]any, warn func(key, why string)) error {
	key := func(k string) string { return "services." + name + "." + k }
	if deps, ok := svc["depends_on"].(map[string]any); ok {
		svc["depends_on"] = dependsOn(deps, key("depends_on"), warn)
	}
	keep := map[string]bool{}
	for _, k := range serviceKeys() {
		keep[k] = true
	}
	ignored := ignoredKeys()
	for k, v := range svc {
		switch {
		case v == nil:
			delete(svc, k) // entrypoint: null, command: null
		case keep[k] || strings.HasPrefix(k, "x-"):
		case quiet(k):
			delete(svc, k)
		case ignored[k] != "":
			warn(key(k), "left out for Swarm: "+ignored[k])
			delete(svc, k)
		default:
			warn(key(k), "left out: docker stack deploy does not take it")
			delete(svc, k)
		}
	}
	if ports, ok := svc["ports"].([]any); ok {
		out, err := normalisePorts(ports, key("ports"), warn)
		if err != nil {
			return err
		}
		svc["ports"] = out
	}
	if vols, ok := svc["volumes"].([]any); ok {
		normaliseVolumes(vols)
	}
	if d, ok := svc["deploy"].(map[string]any); ok {
		cpusAsString(d)
	}
	return nil
}

// cpusAsString writes deploy.resources.*.cpus as the string stack
// deploy's schema wants (compose-go prints a number).
func cpusAsString(deploy map[string]any) {
	res, _ := deploy["resources"].(map[string]any)
	for _, k := range []string{"limits", "reservations"} {
		m, _ := res[k].(map[string]any)
		switch c := m["cpus"].(type) {
		case float64:
			m["cpus"] = strconv.FormatFloat(c, 'f', -1, 64)
		case int:
			m["cpus"] = strconv.Itoa(c)
		}
	}
}

// dependsOn returns the short form of depends_on and warns about what Swarm does not do with depends_on: every
// service starts at once, conditions are not waited for.
func dependsOn(deps map[string]any, key string, warn func(key, why string)) []string {
	var names []string
	for d, v := range deps {
		names = append(names, d)
		m, _ := v.(map[string]any)
		if c, _ := m["condition"].(string); c != "" && c != types.ServiceConditionStarted {
			warn(key+"."+d+".condition", c+": Swarm starts every service at once and waits for none; use a healthcheck and retries in the service")
		}
		if r, _ := m["restart"].(bool); r {
			warn(key+"."+d+".restart", "Swarm does not restart dependents")
		}
	}
	sort.Strings(names)
	return names
}

// normalisePorts returns the ports in the long form stack deploy takes:
// target and published as numbers, mode and protocol; host_ip and the
// names compose may add are left out (host_ip with a warning). A
// published range that is not one port is an error naming it.
func normalisePorts(ports []any, key string, warn func(key, why string)) ([]any, error) {
	out := make([]any, 0, len(ports))
	for i, v := range ports {
		m, ok := v.(map[string]any)
		if !ok {
			out = append(out, v)
			continue
		}
		p := map[string]any{}
		target, err := portNumber(m["target"])
		if err != nil {
			return nil, fmt.Errorf("%s[%d].target: %w", key, i, err)
		}
		p["target"] = target
		if pub, ok := m["published"]; ok && pub != nil && pub != "" {
			n, err := portNumber(pub)
			if err != nil {
				return nil, fmt.Errorf("%s[%d].published %v: %w (stack deploy takes one port per entry)", key, i, pub, err)
			}
			p["published"] = n
		}
		for _, k := range []string{"protocol", "mode"} {
			if s, ok := m[k].(string); ok && s != "" {
				p[k] = s
			}
		}
		if h, ok := m["host_ip"].(string); ok && h != "" {
			warn(fmt.Sprintf("%s[%d].host_ip", key, i), h+": Swarm publishes on every address (left out)")
		}
		out = append(out, p)
	}
	return out, nil
}

// portNumber reads a port as a number: compose-go prints published as a
// string.
func portNumber(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case uint64:
		return int(x), nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > 65535 {
			return 0, fmt.Errorf("not a port number")
		}
		return n, nil
	}
	return 0, fmt.Errorf("not a port number")
}

// normaliseVolumes drops from long volume entries what compose adds and
// stack deploy's schema lacks (bind.create_host_path, volume.subpath).
func normaliseVolumes(vols []any) {
	for _, v := range vols {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if b, ok := m["bind"].(map[string]any); ok {
			delete(b, "create_host_path")
			delete(b, "selinux")
			if len(b) == 0 {
				delete(m, "bind")
			}
		}
		if vo, ok := m["volume"].(map[string]any); ok {
			delete(vo, "subpath")
			if len(vo) == 0 {
				delete(m, "volume")
			}
		}
	}
}

// unDefaultNames drops the name compose gives a network or volume by
// default (<project>_<key>): stack deploy names them so itself (and
// labels them with the stack), and ipam: {} and external: false.
func unDefaultNames(project string, doc map[string]any, kind string) {
	all, _ := doc[kind].(map[string]any)
	for k, v := range all {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if m["name"] == project+"_"+k {
			delete(m, "name")
		}
		if ext, ok := m["external"].(bool); ok && !ext {
			delete(m, "external")
		}
		if ipam, ok := m["ipam"].(map[string]any); ok && len(ipam) == 0 {
			delete(m, "ipam")
		}
		if len(m) == 0 {
			all[k] = nil
		}
	}
}
