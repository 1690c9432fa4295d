"""What every benchmark needs: Django on a scratch database, and a sandbox in its own process
(as Convai is: its CPU work must not share this process's interpreter lock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_scratch_database() -> str:
    """Configures Django on DATABASE_URL if set, else on a new SQLite file; returns its URL."""
    sys.path.insert(0, str(ROOT))
    # Measured as deployed: DEBUG off (it logs every SQL query), with throwaway secrets.
    from cryptography.fernet import Fernet

    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-" + "x" * 40)
    os.environ.setdefault("CONVAI_KEY_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="convai-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convai_dashboard.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sandbox_process(*args: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convai_dashboard.sandbox", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
