package compose

// Subcommands returns the subcommands of Docker Compose v2 up to v2.40
// (docker compose --help, with the hidden alpha and help), sorted. kompose
// passes any of them through; a name close to one of them is taken for a
// typo. Subcommands of a newer compose still pass through (see
// docs/commands.md).
func Subcommands() []string {
	return []string{
		"alpha", "attach", "bridge", "build", "commit", "config", "cp", "create",
		"down", "events", "exec", "export", "help", "images", "kill", "logs", "ls",
		"pause", "port", "ps", "publish", "pull", "push", "restart", "rm", "run",
		"scale", "start", "stats", "stop", "top", "unpause", "up", "version",
		"volumes", "wait", "watch",
	}
}
