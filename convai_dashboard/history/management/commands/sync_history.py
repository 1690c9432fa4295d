from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from convai_dashboard.accounts.models import Character
from convai_dashboard.history import sync
from convai_dashboard.history.models import SyncRun


class Command(BaseCommand):
    help = (
        "Syncs characters' whole chat history from Convai in the foreground, with a progress "
        "bar: the same sync as the dashboard's button, for cron and first imports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--character", metavar="ID", help="Convai character ID (every user's copy of it)"
        )
        which.add_argument("--all", action="store_true", help="every character with an API key")
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
        characters = Character.objects.exclude(api_key=None).select_related("api_key", "owner")
        if character:
            characters = characters.filter(character_id=character)
            if not characters.exists():
                raise CommandError(f"No stored character has the ID {character} and an API key.")
        failed = 0
        for each in characters:
            failed += not self._sync(each, concurrency)
        if failed:
            raise CommandError(f"{failed} sync(s) did not finish; see above.")

    def _sync(self, character: Character, concurrency: int) -> bool:
        label = f"{character.display_name} ({character.owner})"
        run, created = sync.claim(character)
        if not created:
            self.stderr.write(
                f"{label}: a sync is already under way "
                f"(started {run.created_at:%Y-%m-%d %H:%M} UTC); skipped."
            )
            return True
        with tqdm(desc=label, unit="session", file=self.stderr, dynamic_ncols=True) as bar:

            def show(progress: SyncRun) -> None:
                bar.total = progress.sessions_total
                bar.n = progress.sessions_done
                bar.set_postfix(errors=progress.failures, refresh=False)
                bar.refresh()

            run = sync.run(run, concurrency=concurrency, on_progress=show)
        self.stdout.write(
            f"{label}: {run.status}; {run.new_sessions} new sessions, "
            f"{run.transcripts_fetched} transcripts fetched, {run.failures} failures"
            + (f". {run.stop_reason}" if run.stop_reason else "")
        )
        return run.status == SyncRun.DONE
