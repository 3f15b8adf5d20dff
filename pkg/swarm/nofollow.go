package swarm

import "syscall"

// noFollow keeps the temporary file from being opened through a symlink.
const noFollow = syscall.O_NOFOLLOW
