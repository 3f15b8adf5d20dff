package offsite

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
)

// StackKind are the tags every snapshot of one kind of one stack has
// (kompose, stack=, kind=): what `vol:list` asks for in one restic call,
// whatever the volume.
func StackKind(stack, kind string) []string {
	return []string{"kompose", "stack=" + stack, "kind=" + kind}
}

// SnapshotsOf lists the snapshots of every name of one kind of one stack,
// newest first; [Snapshot.Name] says whose each is.
func (r *Repo) SnapshotsOf(ctx context.Context, stack, kind string) ([]Snapshot, error) {
	var out bytes.Buffer
	if err := r.run(ctx, "snapshots", nil, &out, "snapshots", "--json", "--tag", strings.Join(StackKind(stack, kind), ",")); err != nil {
		return nil, err
	}
	var snaps []Snapshot
	if err := json.Unmarshal(out.Bytes(), &snaps); err != nil {
		return nil, &Error{Op: "snapshots", Reason: "unreadable answer: " + err.Error(), Err: err}
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Time.After(snaps[j].Time) })
	return snaps, nil
}

// Name is the database or volume a snapshot is of (its name= tag).
func (s Snapshot) Name() string {
	for _, t := range s.Tags {
		if n, ok := strings.CutPrefix(t, "name="); ok {
			return n
		}
	}
	return ""
}

// ForgetAll is [Repo.Forget] over every snapshot having all of tags
// (StackKind's: every volume of a stack): grouped by host and tags, each
// name is its own group, so the rules apply to each volume as to one.
func (r *Repo) ForgetAll(ctx context.Context, tags []string, keep []string, prune bool) (string, error) {
	args := []string{"forget", "--tag", strings.Join(tags, ","), "--group-by", "host,tags"}
	args = append(args, keep...)
	if prune {
		args = append(args, "--prune")
	}
	var out bytes.Buffer
	err := r.run(ctx, "forget", nil, &out, args...)
	return out.String(), err
}
