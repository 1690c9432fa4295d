from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.history import sync
from convai_dashboard.history.models import ConvaiCharacter, SyncStatus
from convai_dashboard.history.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Syncs characters' whole chat history from Convai in the foreground, with a progress "
        "bar: the same sync as the dashboard's button, for cron and first imports. Each "
        "character is synced once, with any of its holders' keys that Convai accepts."
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

    def handle(
        self, *args: Any, character: str | None, all: bool, concurrency: int, **options: Any
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
        failed = sum(not self._sync(each, concurrency) for each in characters)
        if failed:
            raise CommandError(f"{failed} sync(s) did not finish; see above.")

    def _sync(self, character: ConvaiCharacter, concurrency: int) -> bool:
        label = character.display_name
        run, created = sync.claim(character)
        if not created:
            self.stderr.write(
                f"{label}: a sync is already under way "
                f"(started {run.created_at:%Y-%m-%d %H:%M} UTC); skipped."
            )
            return True
        with progress_bar(label, self.stderr) as show:
            run = sync.run(run, concurrency=concurrency, on_progress=show)
        self.stdout.write(
            f"{label}: {run.status}; {run.new_sessions} new sessions, "
            f"{run.transcripts_fetched} transcripts fetched, {run.failures} failures"
            + (f". {run.stop_reason}" if run.stop_reason else "")
        )
        return run.status == SyncStatus.DONE
