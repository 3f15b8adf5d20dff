package update

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kompose-dev/kompose/pkg/proc"
)

// engineView is what update --check reads of one engine, once per run
// for all the stacks on it (as status reads one docker ps per engine):
// every compose container with its project, and every image with its
// tags and repository digests. Four docker processes per engine, instead
// of three or four per stack. It is a snapshot: a container or image that
// appears while the check runs is not seen, as with status.
type engineView struct {
	// containers are the compose containers by project (one-off
	// containers of compose run left out).
	containers map[string][]Container
	// tags is the image ID each tag names, by the tag's full name
	// (name.Reference.Name: index.docker.io/library/redis:7).
	tags map[string]string
	// digests are the RepoDigests of each image.
	digests map[string][]string
}

// inspectChunk is how many IDs one docker inspect is given at most.
const inspectChunk = 500

// readView reads e's engine (see engineView).
func readView(ctx context.Context, e *engine) (*engineView, error) {
	v := &engineView{containers: map[string][]Container{}, tags: map[string]string{}, digests: map[string][]string{}}
	ids, err := e.out(ctx, "docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=com.docker.compose.project")
	if err != nil {
		return nil, err
	}
	const format = `{{.Id}}|{{.Image}}|{{.State.Running}}|{{index .Config.Labels "com.docker.compose.oneoff"}}|{{index .Config.Labels "com.docker.compose.service"}}|{{index .Config.Labels "com.docker.compose.project"}}`
	images := map[string]bool{}
	err = inspectAll(ctx, e, "container", format, strings.Fields(ids), func(f []string) error {
		if len(f) != 6 || !imageID.MatchString(f[1]) {
			return fmt.Errorf("docker container inspect: unexpected line %q", strings.Join(f, "|"))
		}
		images[f[1]] = true
		if f[3] != "True" && f[4] != "" {
			v.containers[f[5]] = append(v.containers[f[5]], Container{ID: f[0], ImageID: f[1], Running: f[2] == "true", Service: f[4]})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tagged, err := e.out(ctx, "docker", "image", "ls", "--quiet", "--no-trunc")
	if err != nil {
		return nil, err
	}
	for _, id := range strings.Fields(tagged) {
		images[id] = true
	}
	err = inspectAll(ctx, e, "image", "{{.Id}}|{{json .RepoTags}}|{{json .RepoDigests}}", sortedKeys(images), func(f []string) error {
		return v.addImage(f)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// addImage records one line of docker image inspect: ID, tags, digests.
func (v *engineView) addImage(f []string) error {
	if len(f) != 3 || !imageID.MatchString(f[0]) {
		return fmt.Errorf("docker image inspect: unexpected line %q", strings.Join(f, "|"))
	}
	var tags, digests []string
	if err := json.Unmarshal([]byte(f[1]), &tags); err != nil {
		return fmt.Errorf("docker image inspect: the RepoTags of %s: %w", Short(f[0]), err)
	}
	if err := json.Unmarshal([]byte(f[2]), &digests); err != nil {
		return fmt.Errorf("docker image inspect: the RepoDigests of %s: %w", Short(f[0]), err)
	}
	v.digests[f[0]] = digests
	for _, t := range tags {
		if r, err := name.ParseReference(t); err == nil {
			v.tags[r.Name()] = f[0]
		}
	}
	return nil
}

// imageID is the image ref names on the engine, "" when none; ok is false
// when ref does not parse as docker would (the caller asks docker).
func (v *engineView) imageID(ref string) (id string, ok bool) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", false
	}
	return v.tags[r.Name()], true
}

// inspectAll runs docker <kind> inspect --format format over ids, a chunk
// at a time, and hands each output line, split at "|", to line. An object
// removed since it was listed is skipped ("No such ..."); any other
// failure is an error.
func inspectAll(ctx context.Context, e *engine, kind, format string, ids []string, line func([]string) error) error {
	for len(ids) > 0 {
		n := min(len(ids), inspectChunk)
		argv := append([]string{"docker", kind, "inspect", "--format", format, "--"}, ids[:n]...)
		ids = ids[n:]
		var out, errb bytes.Buffer
		if err := e.ex.Proc.Run(ctx, e.cmd(argv, &out, &errb)); err != nil && !onlyGone(errb.String()) {
			return cmdError(argv, err, errb.String())
		}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
			if err := line(strings.Split(l, "|")); err != nil {
				return err
			}
		}
	}
	return nil
}

// onlyGone reports whether every line of a failed inspect's stderr says
// that an object is gone (removed between the listing and the inspect),
// and there is at least one.
func onlyGone(stderr string) bool {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if !strings.Contains(strings.ToLower(l), "no such") {
			return false
		}
	}
	return proc.LastLine(stderr) != ""
}

// repoDigests returns the RepoDigests of each image ID of runs: the
// view's, and docker's (one image inspect) for an image it does not
// hold.
func (v *engineView) repoDigests(ctx context.Context, e *engine, runs map[string]string) (map[string][]string, error) {
	out := map[string][]string{}
	missing := map[string]string{}
	for svc, id := range runs {
		if d, ok := v.digests[id]; ok {
			out[id] = d
		} else if id != "" {
			missing[svc] = id
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	more, err := e.repoDigests(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, d := range more {
		out[id] = d
	}
	return out, nil
}
