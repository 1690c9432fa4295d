from __future__ import annotations

import time
from itertools import batched
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from convai_dashboard.accounts import checks, crypto, teams
from convai_dashboard.accounts.models import ApiKey
from convai_dashboard.convai import ConvaiError
from convai_dashboard.history import store, sync
from convai_dashboard.history.models import ConvaiCharacter, Interaction, Line, SyncRun, SyncStatus
from convai_dashboard.history.progress import progress_bar
from convai_dashboard.sandbox import DEMO_KEY, LARGE_CHARACTER_ID
from convai_dashboard.sandbox.demo.generated import ScaleHistory, scale_history
from convai_dashboard.sandbox.process import start_sandbox_process

KEY_LABEL = "Sandbox (scale)"
# Transcripts stored in one transaction, as the store's bulk path is measured
# (bench/load_speed.py).
CHUNK = 500


class Command(BaseCommand):
    help = (
        "Fills the store with a large sandbox character for demos and benchmarks: starts the "
        "sandbox in its own process with that many sessions, adds the character with the key "
        "it accepts, stores the history the sandbox generates (in a process of its own, parsed "
        "as the client parses it, without the HTTP), then syncs the character through the "
        "sandbox, which finds nothing missing. The sandbox is deterministic, so every run "
        "stores the same data, and a second run stores nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sessions",
            type=int,
            default=100_000,
            help="sessions of the sandbox character (default %(default)s)",
        )
        parser.add_argument(
            "--username", default="demo", help="the existing user who owns it (default demo)"
        )

    def handle(self, *args: Any, sessions: int, username: str, **options: Any) -> None:
        if sessions < 1:
            raise CommandError("--sessions must be at least 1.")
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"There is no user {username!r}. Create one first with "
                f"`manage.py seed_demo` (user demo) or `manage.py createsuperuser`."
            ) from None

        started = time.monotonic()
        with start_sandbox_process("--large-sessions", str(sessions)) as url:
            try:
                character = self._character(user, url)
                run = self._claim(character)
                with scale_history(sessions) as history:
                    filled = self._fill(character, history)
                # What a user's sync would do next: it lists the sessions and fetches what is
                # missing, which is nothing, and it is the run the character's page shows.
                with progress_bar(character.display_name, self.stderr) as show:
                    run = sync.run(run, on_progress=show, base_url=url)
            except ConvaiError as error:
                raise CommandError(f"Could not use the sandbox: {error.user_message}") from None
        elapsed = time.monotonic() - started

        stored_sessions = character.sessions.count()
        interactions = Interaction.objects.filter(session__character=character).count()
        lines = Line.objects.filter(character=character).count()
        self.stdout.write(
            f"{character.display_name} ({character.character_id}, user {username}): "
            f"{filled} transcripts generated and stored; then a sync through the sandbox: "
            f"{run.status}; {run.new_sessions} new sessions, {run.transcripts_fetched} "
            f"transcripts fetched, {run.failures} failures"
            + (f". {run.stop_reason}" if run.stop_reason else "")
        )
        self.stdout.write(
            f"Stored: {stored_sessions:,} sessions, {interactions:,} interactions, "
            f"{lines:,} lines, in {elapsed:.1f} s."
        )
        if run.status != SyncStatus.DONE:
            raise CommandError("The sync did not finish; see above. Run the command again.")
        if run.failures:
            self.stderr.write(
                f"{run.failures} transcript(s) could not be fetched (last: {run.last_failure}); "
                f"running the command again fetches them."
            )

    def _character(self, user: Any, url: str) -> ConvaiCharacter:
        team = teams.personal_team(user)
        key = ApiKey.objects.filter(team=team, label=KEY_LABEL).first()
        # Saved again only when needed: Fernet tokens differ each time, and a rerun should leave
        # the stored rows as they were.
        try:
            current = key.secret() if key else ""
        except crypto.UndecryptableKey:
            current = ""  # stored under an encryption key this deployment no longer has
        if key is None or current != DEMO_KEY:
            key = key or ApiKey(team=team, label=KEY_LABEL)
            checks.set_checked_secret(key, DEMO_KEY, base_url=url)
            key.save()
        granted = checks.add_character(key, LARGE_CHARACTER_ID, base_url=url)
        if granted.access is None:
            raise CommandError(f"The sandbox refused the scale character: {granted.message}")
        return ConvaiCharacter.objects.held_by(user, LARGE_CHARACTER_ID)

    def _claim(self, character: ConvaiCharacter) -> SyncRun:
        # Claimed before storing anything, so that no other sync stores beside this one; held
        # by this process, so that it ends with it should the command be stopped.
        run, created = sync.claim(character, run_here=True)
        if not created:
            raise CommandError(
                f"A sync of {character.display_name} is already under way "
                f"(started {run.created_at:%Y-%m-%d %H:%M} UTC); try again when it has finished."
            )
        return run

    def _fill(self, character: ConvaiCharacter, history: ScaleHistory) -> int:
        """Stores the session list and every missing transcript straight through the store's
        bulk path, as a sync stores them; returns how many transcripts it stored."""
        store.store_session_list(character, history.session_list())
        chunks = list(batched(sync.sessions_to_fetch(character), CHUNK))
        made = history.transcripts([s.session_id for s in chunk] for chunk in chunks)
        stored = 0
        with tqdm(
            desc=f"{character.display_name}, generated",
            total=sum(map(len, chunks)),
            unit="session",
            file=self.stderr,
            dynamic_ncols=True,
        ) as bar:
            for chunk, transcripts in zip(chunks, made, strict=True):
                # One the database refuses stays missing: the sync that follows fetches it
                # again and says why it could not be stored.
                unstored = store.store_transcripts(list(zip(chunk, transcripts, strict=True)))
                stored += len(chunk) - len(unstored)
                bar.update(len(chunk))
        return stored
