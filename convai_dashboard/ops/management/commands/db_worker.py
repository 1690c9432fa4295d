"""django-tasks-db's `db_worker`, which runs the background tasks (syncs), with a heartbeat for
/healthz added. This app comes before django_tasks_db in INSTALLED_APPS, so that
`manage.py db_worker` is this command."""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from convai_dashboard.ops import heartbeat


class Command(db_worker.Command):
    help = "Run a database background worker that writes a heartbeat for /healthz"

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the command runs in two processes: one watches the files, and its child
        # runs the tasks. Only the one that runs tasks beats.
        watches_only = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if watches_only:
            super().handle(*args, **options)
            return
        with heartbeat.beating(options["worker_id"]):
            super().handle(*args, **options)
