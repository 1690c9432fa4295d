"""The task worker's heartbeat. Each `manage.py db_worker` process (this app's command:
django-tasks-db's, with this added) writes when it was last alive, from a thread of its own, so
that a worker busy with a long sync still beats; /healthz reads it (ops.health)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from convai_dashboard.ops.models import WorkerHeartbeat

log = logging.getLogger(__name__)

# Rows of workers silent this long are deleted when a worker starts: restarts leave one row each.
FORGET_AFTER = timedelta(days=1)


def beat(worker_id: str, started_at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": timezone.now(),
        },
    )


@contextmanager
def beating(worker_id: str) -> Iterator[None]:
    """Beats at once, then every WORKER_HEARTBEAT_SECONDS until the block ends."""
    started_at = timezone.now()
    WorkerHeartbeat.objects.filter(beat_at__lt=started_at - FORGET_AFTER).delete()
    beat(worker_id, started_at)
    stop = threading.Event()
    thread = threading.Thread(
        target=_keep_beating,
        args=(worker_id, started_at, stop),
        name="worker-heartbeat",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _keep_beating(worker_id: str, started_at: datetime, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.WORKER_HEARTBEAT_SECONDS):
            # This thread has its own connection, and no request cycle to renew it.
            close_old_connections()
            try:
                beat(worker_id, started_at)
            except DatabaseError:
                # The database may be back by the next beat; /healthz says it is not, meanwhile.
                log.warning("The task worker could not write its heartbeat.", exc_info=True)
    finally:
        connection.close()
