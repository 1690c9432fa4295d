"""What /healthz reports: whether the database answers, and when a task worker last beat.
Nothing in it names a host, a user or a secret: it is shown without sign-in."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from convai_dashboard.ops.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def report() -> dict[str, Any]:
    database = _database()
    worker = _worker() if database["ok"] else {"ok": False, "error": "database unavailable"}
    return {"ok": database["ok"] and worker["ok"], "database": database, "worker": worker}


def stale_after() -> int:
    """Seconds after which a worker that has not beaten counts as gone: three beats missed."""
    return 3 * settings.WORKER_HEARTBEAT_SECONDS


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        # The error's text may name the host and the user: it goes to the log, not the page.
        log.warning("/healthz: the database did not answer.", exc_info=True)
        return {"ok": False, "engine": connection.vendor, "error": type(error).__name__}
    return {"ok": True, "engine": connection.vendor}


def _worker() -> dict[str, Any]:
    now = timezone.now()
    window = stale_after()
    try:
        beats = WorkerHeartbeat.objects.aggregate(
            last=Max("beat_at"),
            alive=Count("pk", filter=Q(beat_at__gte=now - timedelta(seconds=window))),
        )
    except DatabaseError as error:
        log.warning("/healthz: the heartbeats could not be read.", exc_info=True)
        return {"ok": False, "error": type(error).__name__}
    last = beats["last"]
    return {
        "ok": beats["alive"] > 0,
        "alive": beats["alive"],
        "last_heartbeat": last.isoformat() if last else None,
        "seconds_since": round((now - last).total_seconds(), 1) if last else None,
        "stale_after_seconds": window,
    }
