package jsonout

import "github.com/kompose-dev/kompose/pkg/buildinfo"

// KindVersion is the kind of `kompose version --json`.
const KindVersion = "version"

// Version is `kompose version --json`, for bug reports: this build, and
// the programs kompose drives as found on this machine.
type Version struct {
	Header
	Version string `json:"version"`
	// Commit is the full commit hash; null when unknown.
	Commit *string `json:"commit"`
	// Modified: built from a work tree with uncommitted changes.
	Modified bool `json:"modified"`
	// Date is the build's (package script) or the commit's time; null
	// when unknown.
	Date *string `json:"date"`
	Go   string  `json:"go"`
	OS   string  `json:"os"`
	Arch string  `json:"arch"`
	// DockerClient, DockerServer, Compose and Bash are each a version, or
	// null with the reason in the matching *_error field.
	DockerClient      *string `json:"docker_client"`
	DockerClientError string  `json:"docker_client_error,omitempty"`
	DockerServer      *string `json:"docker_server"`
	DockerServerError string  `json:"docker_server_error,omitempty"`
	Compose           *string `json:"compose"`
	ComposeError      string  `json:"compose_error,omitempty"`
	Bash              *string `json:"bash"`
	BashError         string  `json:"bash_error,omitempty"`
}

// NewVersion is the document of in and tools; mask hides secrets in the
// programs' error messages (a DOCKER_HOST with a password).
func NewVersion(in buildinfo.Info, tools buildinfo.Tools, mask func(string) string) Version {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	tool := func(t buildinfo.Tool) (*string, string) {
		if t.Err != nil {
			return nil, mask(t.Err.Error())
		}
		return opt(t.Version), ""
	}
	v := Version{Header: NewHeader(KindVersion), Version: in.Version, Commit: opt(in.Commit), Modified: in.Modified,
		Date: opt(in.Date), Go: in.Go, OS: in.OS, Arch: in.Arch}
	v.DockerClient, v.DockerClientError = tool(tools.DockerClient)
	v.DockerServer, v.DockerServerError = tool(tools.DockerServer)
	v.Compose, v.ComposeError = tool(tools.Compose)
	v.Bash, v.BashError = tool(tools.Bash)
	return v
}
