"""The sandbox in a process of its own, as Convai is: its CPU work must not share the caller's
interpreter lock. Used by the benchmarks and by `manage.py load_scale_data`. Standard library only.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The directory holding the convai_dashboard package, so `-m` finds it even when not installed.
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def start_sandbox_process(*args: str, startup_timeout: float = 60) -> Iterator[str]:
    """Runs `python -m convai_dashboard.sandbox *args` on a free loopback port; yields its URL
    once it accepts connections, and stops it on exit."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convai_dashboard.sandbox", "--port", str(port), *args],
        cwd=_PACKAGE_PARENT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the sandbox exited with status {process.returncode} before it started"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the sandbox did not start within {startup_timeout:g} s"
                    ) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
