// Package update implements kompose's update and rollback commands as plan
// actions.
//
// update pulls the images of a stack's services, compares the image each
// running container runs with the image its reference names after the
// pull, and recreates only the services whose image changed (a stopped
// stack is pulled, not started, unless --include-stopped). Before
// recreating, the image each changed service ran is tagged
// kompose-rollback/<project>:<service>-<12 hex digits of its ID>, so that no
// prune takes it, and recorded in the stack's history file
// (.kompose-updates.json, see [History]). rollback moves each reference back
// to the image recorded N updates back and recreates the services on it.
//
// Everything runs through the docker CLI and the stack's compose command,
// with the stack's environment, so DOCKER_HOST and DOCKER_CONTEXT decide
// the engine. docs/update.md is the user's contract.
package update
