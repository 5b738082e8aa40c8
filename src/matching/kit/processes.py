"""Whether a process still runs on this host: what is left behind by a process that died
(a job's runner, a store directory or a half-written file) is cleaned up by whoever finds it."""

import os


def pid_exists(pid: int) -> bool:
    """Whether a process with this id runs on this host (another user's counts). A process that
    died and whose id was handed out again reads as running: the caller keeps what it found,
    which is the safe side."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
