"""Background work, run by `manage.py db_worker` (django.tasks with django-tasks-db)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.tasks import task

from convai_dashboard.history import sync
from convai_dashboard.history.models import ConvaiCharacter, SyncRun


@task()
def sync_character(run_id: int) -> str:
    run = sync.run(SyncRun.objects.select_related("character", "requested_by").get(pk=run_id))
    return run.status


def start_sync(character: ConvaiCharacter, user: Any) -> tuple[SyncRun, bool]:
    """Queues a background sync unless one is active; (run, created). One run serves every
    holder of the character, whoever asked."""
    run, created = sync.claim(character, user)
    if created:
        # After commit, so a worker never looks for a run it cannot see yet.
        transaction.on_commit(lambda: sync_character.enqueue(run.pk))
    return run, created
