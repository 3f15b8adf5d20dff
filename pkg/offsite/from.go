package offsite

import (
	"fmt"
	"strings"
)

// ParseFrom reads the --from of an import or a drill: "restic" or
// "restic:SNAPSHOT" (a hex ID, short or long; "latest" is the newest).
// It returns the snapshot ID, "" for the newest.
func ParseFrom(v string) (snapshot string, err error) {
	src, id, _ := strings.Cut(v, ":")
	if src != "restic" {
		return "", fmt.Errorf("--from %q: the one source is restic (restic or restic:SNAPSHOT)", v)
	}
	if id == "latest" {
		return "", nil
	}
	if id != "" && strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" {
		return "", fmt.Errorf("--from %q: %q is not a snapshot ID", v, id)
	}
	return id, nil
}

// Which names the snapshot ParseFrom returned, for messages and the dry
// run: "snapshot ID", or "the newest snapshot".
func Which(snapshot string) string {
	if snapshot == "" {
		return "the newest snapshot"
	}
	return "snapshot " + snapshot
}

// HookArg is what the hooks of an import from restic receive for the
// file (read back only when the step runs): restic:ID, or restic:latest.
func HookArg(snapshot string) string {
	if snapshot == "" {
		return "restic:latest"
	}
	return "restic:" + snapshot
}
