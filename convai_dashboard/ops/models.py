from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A task worker (`manage.py db_worker`) as it last said it was alive. Each worker process
    writes its own row every WORKER_HEARTBEAT_SECONDS (ops.heartbeat); /healthz reads the
    newest. Rows of workers silent for a day are deleted when a worker starts."""

    worker_id = models.CharField(max_length=64)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["worker_id"], name="one_heartbeat_per_worker")
        ]
        # /healthz asks for the newest beat.
        indexes = [models.Index(fields=["beat_at"], name="heartbeat_by_time")]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} (pid {self.pid})"
