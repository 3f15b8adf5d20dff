package metrics

import "syscall"

const syscallNoFollow = syscall.O_NOFOLLOW
