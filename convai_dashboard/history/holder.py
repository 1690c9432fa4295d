"""Which process holds a sync, and whether it is gone: a sync killed with its process (kill -9,
an OOM kill, a reboot, a deploy) is taken over at once when it ran on this host.

A holder is named by its host, its process ID, and where the system says so (Linux), the
boot it ran in and when the process started: after a reboot, or in a restarted container,
the same process ID names another process, and only those tell the two apart.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    # "<boot id>/<start time in clock ticks since boot>", or "" where the system tells neither.
    started: str

    def is_gone(self) -> bool:
        """Whether the process has certainly ended. False whenever that cannot be told from
        here (another host): there, only a silent heartbeat says a run has died."""
        if self.host != socket.gethostname():
            return False
        if self.started and self.started.split("/")[0] != _boot_id():
            return True  # the machine has restarted since
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # it exists, under another user
        if _is_zombie(self.pid):
            return True  # killed, and not yet reaped by its parent
        # The process ID may have been given to another process since.
        return bool(self.started) and _started(self.pid) not in ("", self.started)


def process(pid: int) -> Holder:
    """The holder a process of this host is."""
    return Holder(socket.gethostname(), pid, _started(pid))


def this_process() -> Holder:
    return process(os.getpid())


def _boot_id() -> str:
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    return stat.rpartition(")")[2].split()


def _started(pid: int) -> str:
    fields = _stat_fields(pid)
    boot = _boot_id()
    # Field 22 of stat, the process's start time, is the 20th after the command name.
    return f"{boot}/{fields[19]}" if boot and len(fields) > 19 else ""


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] in ("Z", "X")
