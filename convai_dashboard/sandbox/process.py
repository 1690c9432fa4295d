"""The sandbox in a process of its own, as Convai is: its CPU work must not share the caller's
interpreter lock. Used by the benchmarks, by `manage.py load_scale_data` and, through its
command line, by `bin/demo`. Standard library only.

    python -m convai_dashboard.sandbox.process free PORT...   exits 1, saying so, if one is taken
    python -m convai_dashboard.sandbox.process wait PORT      until something listens on PORT
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(
    port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Returns once something accepts connections on the loopback port; raises RuntimeError
    when `timeout` passes first, or when `process` (which should be listening) exits. The
    benchmarks wait for gunicorn with it too."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"it exited with status {process.returncode} before it listened"
                ) from None
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"nothing listened on port {port} within {timeout:g} s"
                ) from None
            time.sleep(0.1)


@contextmanager
def start_sandbox_process(*args: str, startup_timeout: float = 60) -> Iterator[str]:
    """Runs `python -m convai_dashboard.sandbox *args` on a free loopback port; yields its URL
    once it accepts connections, and stops it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convai_dashboard.sandbox", "--port", str(port), *args],
        cwd=_PACKAGE_PARENT,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=startup_timeout, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process, timeout=10)


def stop(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Asks the process to end (SIGTERM), and kills it if it has not within `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> int:
    command, ports = argv[0], [int(port) for port in argv[1:]]
    if command == "free":
        taken = [port for port in ports if not port_is_free(port)]
        for port in taken:
            print(f"Port {port} is already in use by another program.", file=sys.stderr)
        return 1 if taken else 0
    try:
        wait_for_port(ports[0], timeout=15)
    except RuntimeError as error:
        print(f"The sandbox did not start: {error}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
