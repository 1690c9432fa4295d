from __future__ import annotations

import time
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.history import sync
from convai_dashboard.history.models import ConvaiCharacter, SyncRun, SyncStatus
from convai_dashboard.history.progress import progress_bar

# How often --wait looks at the sync it waits for.
WAIT_POLL_SECONDS = 1.0
# Exit status when a sync did not run because another was under way, and none failed:
# sysexits' EX_TEMPFAIL, "try again later".
NOT_RUN_STATUS = 75


class Outcome(Enum):
    DONE = "done"
    FAILED = "failed"
    NOT_RUN = "not run"


class Command(BaseCommand):
    help = (
        "Syncs characters' whole chat history from Convai in the foreground, with a progress "
        "bar: the same sync as the dashboard's button, for cron and first imports. Each "
        "character is synced once, with any of its holders' keys that Convai accepts. Exits "
        f"with status 1 when a sync failed, {NOT_RUN_STATUS} when one did not run because "
        "another sync of the character was under way (see --wait)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--character", metavar="ID", help="Convai character ID")
        which.add_argument(
            "--all", action="store_true", help="every character that someone holds with a key"
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.SYNC_CONCURRENCY,
            help="transcripts fetched at once (default %(default)s)",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="when a sync of a character is under way, wait for it to end, then sync "
            "(fetching only what it left)",
        )

    def handle(
        self,
        *args: Any,
        character: str | None,
        all: bool,
        concurrency: int,
        wait: bool,
        **options: Any,
    ) -> None:
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        held = CharacterAccess.objects.active().exclude(api_key=None)
        if character:
            held = held.filter(character_id=character)
        names = dict(held.values_list("character_id", "name"))
        if character and not names:
            raise CommandError(f"Nobody holds the character {character} under an API key.")
        characters = [
            ConvaiCharacter.objects.get_or_create(character_id=id, defaults={"name": name})[0]
            for id, name in sorted(names.items())
        ]
        outcomes = [self._sync(each, concurrency, wait) for each in characters]
        failed, not_run = outcomes.count(Outcome.FAILED), outcomes.count(Outcome.NOT_RUN)
        if failed:
            raise CommandError(f"{failed} sync(s) did not finish; see above.")
        if not_run:
            raise CommandError(
                f"{not_run} sync(s) did not run, as another sync of the character was under "
                "way; see above.",
                returncode=NOT_RUN_STATUS,
            )

    def _sync(self, character: ConvaiCharacter, concurrency: int, wait: bool) -> Outcome:
        label = character.display_name
        run, created = sync.claim(character, run_here=True)
        if not created and wait:
            self.stderr.write(f"{label}: waiting for the sync under way to end ({_told(run)}).")
            while not created:
                time.sleep(WAIT_POLL_SECONDS)
                run, created = sync.claim(character, run_here=True)
        if not created:
            self.stderr.write(
                f"{label}: did not run: a sync of this character is under way ({_told(run)}). "
                "Run again with --wait to wait for it."
            )
            return Outcome.NOT_RUN
        with progress_bar(label, self.stderr) as show:
            run = sync.run(run, concurrency=concurrency, on_progress=show)
        self.stdout.write(
            f"{label}: {run.status}; {run.new_sessions} new sessions, "
            f"{run.transcripts_fetched} transcripts fetched, {run.failures} failures"
            + (f". {run.stop_reason}" if run.stop_reason else "")
        )
        return Outcome.DONE if run.status == SyncStatus.DONE else Outcome.FAILED


def _told(run: SyncRun) -> str:
    """Where a run stands and who holds it, for a person deciding whether to wait."""
    since = f"{run.started_at or run.created_at:%Y-%m-%d %H:%M} UTC"
    if run.status == SyncStatus.QUEUED and run.holder is None:
        return f"queued since {since}, waiting for a worker (manage.py db_worker)"
    parts = [f"{run.get_status_display().lower()} since {since}"]
    if run.holder is not None:
        parts.append(f"in process {run.holder.pid} on {run.holder.host}")
    if run.heartbeat_at is not None:
        quiet = (timezone.now() - run.heartbeat_at).total_seconds()
        parts.append(f"last progress {quiet:.0f} s ago")
    return ", ".join(parts)
