#!/usr/bin/env python3
"""kompose post-up hook: one JSON line per deploy in an audit log.

Install as <root>/hooks/post-up (every stack) or <stack>/hooks/post-up,
executable (chmod 755). kompose passes the hook's facts as one JSON object
on standard input (see docs/hooks.md); this hook adds them, with the
services compose reports as running, to $KOMPOSE_AUDIT_LOG (default:
<root>/audit.log).

    {"at": "2026-11-21T03:15:07Z", "by": "alice", "stack": "blog",
     "command": "up", "args": ["-d"], "runtime": 12, "kompose": "1.4.0"}
"""
import json
import os
import sys


def main() -> int:
    info = json.load(sys.stdin)
    record = {
        "at": info["recorded_at"],
        "by": info["performer"],
        "stack": info["stack"],
        "command": info["command"],
        "args": info["args"],
        "runtime": info.get("runtime"),
        "kompose": info["version"],
    }
    path = os.environ.get("KOMPOSE_AUDIT_LOG") or os.path.join(info["root"], "audit.log")
    # One write of one line: concurrent runs do not interleave lines.
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(record, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
