"""Imported first by the fork server of `--workers` (parallel.PRELOAD): puts it in a process
group of its own, which every worker forked from it inherits.

So the run's helper processes form one group that the verifier can end with one
`killpg` on every exit path (workers, and anything they started, such as torch's
compile workers), and a Ctrl-C at the terminal reaches the verifier alone, which then
ends the group, instead of every worker printing its own KeyboardInterrupt.

Only the process that the verifier itself started and marked (the environment variable
names the verifier's pid) acts on the import; anywhere else importing this does nothing.
"""

from __future__ import annotations

import os

GROUP_ENV = "VERIFIER_WORKER_GROUP"

if os.environ.get(GROUP_ENV) == str(os.getppid()) and hasattr(os, "setpgid"):
    try:
        os.setpgid(0, 0)
    except OSError:  # not permitted here (a session leader): the workers are still killed one by one
        pass
