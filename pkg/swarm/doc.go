// Package swarm deploys a stack on Docker Swarm (x-kompose.deploy: swarm,
// KOMPOSE_DEPLOY=swarm): it normalises the stack's compose project as
// compose resolves it into the file docker stack deploy accepts, writes it
// to a private temporary file for the one command that reads it, and
// plans each command of the table's Swarm column (pkg/commands) as the
// Swarm's own commands: up is docker stack deploy, down docker stack rm
// and a wait until the stack is gone, ps, logs, restart, pull, update and
// rollback the docker stack and service commands; the others are refused
// with what to do instead. Its status reads a manager with a fixed number
// of docker calls, however many stacks it holds ([StatusArgs]).
package swarm
