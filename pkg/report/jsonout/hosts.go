package jsonout

// KindHosts is the kind of `kompose hosts --json`.
const KindHosts = "hosts"

// Hosts is `kompose hosts --json`: each engine the selected stacks use.
type Hosts struct {
	Header
	Root string `json:"root"`
	// DryRun: no engine was asked (answers is null everywhere).
	DryRun bool   `json:"dry_run"`
	Hosts  []Host `json:"hosts"`
	// Errors are the stacks whose environment could not be read.
	Errors []StackError `json:"errors"`
}

// Host is one engine and its stacks.
type Host struct {
	// Engine is its name: the DOCKER_HOST address (password hidden), the
	// context's name, or "default".
	Engine string `json:"engine"`
	// Via says how the stacks chose it: "DOCKER_HOST", "docker context"
	// or "the docker CLI's current context".
	Via string `json:"via"`
	// Answers is null when it was not asked (dry run, or NotAsked).
	Answers *bool `json:"answers"`
	// Version is the Docker Engine's version when it answers.
	Version string `json:"version,omitempty"`
	// Seconds is how long the question took, when it answers.
	Seconds float64 `json:"seconds,omitempty"`
	// Error says why it does not answer.
	Error *string `json:"error,omitempty"`
	// NotAsked says why kompose did not ask it (no docker CLI for it).
	NotAsked string   `json:"not_asked,omitempty"`
	Stacks   []string `json:"stacks"`
}

// StackError is a stack that could not be read, with why.
type StackError struct {
	Stack string `json:"stack"`
	Error string `json:"error"`
}
