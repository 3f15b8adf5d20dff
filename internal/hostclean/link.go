package hostclean

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strings"
)

// DefaultBridge is the network interface of the machine's Docker Engine's
// default bridge network. A dockerd started with --bridge=none deletes an
// interface of this name in its network namespace at start-up, so a test
// engine must never start in the machine's own.
const DefaultBridge = "docker0"

// Link describes the network interface name of this process's network
// namespace, for a comparison before and after a test run: its index
// (which changes when it is deleted and made again) and its addresses
// (IPv6 link-local ones left out: the kernel adds one when the link
// first goes up), or that it is absent.
func Link(name string) string {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return name + ": absent"
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return fmt.Sprintf("%s: index %d, addresses unreadable: %v", name, ifi.Index, err)
	}
	var as []string
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.IsLinkLocalUnicast() {
			continue
		}
		as = append(as, a.String())
	}
	sort.Strings(as)
	return fmt.Sprintf("%s: index %d, addresses [%s]", name, ifi.Index, strings.Join(as, " "))
}

// LinkUnchanged reports, as an error naming both states, that the
// interface name is no longer as before (a value [Link] returned).
func LinkUnchanged(name, before string) error {
	if now := Link(name); now != before {
		return fmt.Errorf("the machine's network interface %s changed during the run (a test engine in the machine's network namespace?): before %q, after %q", name, before, now)
	}
	return nil
}

// MachineEngine describes what of the machine's Docker Engine a test run
// must leave as it found it: the default bridge's interface ([Link] of
// [DefaultBridge]) and the engine's built-in networks (bridge, host,
// none) with their IDs, one per line.
func MachineEngine(ctx context.Context) string {
	lines := []string{Link(DefaultBridge)}
	cmd := exec.CommandContext(ctx, "docker", "network", "ls", "--filter", "type=builtin", "--format", "network {{.Name}} {{.ID}}")
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil {
		return strings.Join(append(lines, fmt.Sprintf("networks: unreadable (%v)", err)), "\n")
	}
	nets := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(nets)
	return strings.Join(append(lines, nets...), "\n")
}

// CheckMachineEngine reports, as an error naming what changed, that the
// machine's engine is no longer as [MachineEngine] described it before.
func CheckMachineEngine(ctx context.Context, before string) error {
	now := MachineEngine(ctx)
	if now == before {
		return nil
	}
	return fmt.Errorf("the machine's Docker Engine changed during the run (a test engine in the machine's network namespace deletes %s):\nbefore:\n%s\nafter:\n%s", DefaultBridge, indent(before), indent(now))
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
