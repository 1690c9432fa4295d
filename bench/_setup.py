"""What every benchmark needs: Django on a scratch database, and a sandbox in its own process
(as Convai is: its CPU work must not share this process's interpreter lock)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The scripts run as `python bench/NAME.py`, with bench/ rather than the project on sys.path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Re-exported for the scripts: the sandbox in its own process, shared with load_scale_data.
from convai_dashboard.sandbox.process import (  # noqa: E402
    start_sandbox_process as sandbox_process,
)

__all__ = ["ROOT", "django_on_scratch_database", "sandbox_process"]


def django_on_scratch_database() -> str:
    """Configures Django on DATABASE_URL if set, else on a new SQLite file; returns its URL."""
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
