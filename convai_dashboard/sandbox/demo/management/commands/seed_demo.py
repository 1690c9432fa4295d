from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from convai_dashboard.accounts import checks
from convai_dashboard.accounts.models import ApiKey
from convai_dashboard.convai import ConvaiError
from convai_dashboard.history import fetch, sync
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.sandbox import DEMO_CHARACTER_IDS, DEMO_KEY


class Command(BaseCommand):
    help = (
        "Creates (or resets) the demo user with the sandbox's API key and three characters, and "
        "syncs their whole history, from a running sandbox (by default at CONVAI_API_URL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument(
            "--lists-only",
            action="store_true",
            help="fetch only the session lists; transcripts are fetched when opened or synced",
        )
        parser.add_argument(
            "--convai-url",
            default=settings.CONVAI_API_URL,
            help="the sandbox to seed from (default %(default)s)",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        password: str,
        convai_url: str,
        lists_only: bool,
        **options: Any,
    ) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        # The demo password is deliberately simple and printed; the validators are for real users.
        user.set_password(password)
        user.save()
        try:
            key = ApiKey.objects.filter(owner=user, label="Sandbox").first() or ApiKey(
                owner=user, label="Sandbox"
            )
            checks.set_checked_secret(key, DEMO_KEY, base_url=convai_url)
            key.save()
            for character_id in DEMO_CHARACTER_IDS:
                granted = checks.add_character(user, key, character_id, base_url=convai_url)
                if granted.access is None:
                    raise CommandError(f"Could not add {character_id}: {granted.message}")
                character = ConvaiCharacter.objects.held_by(user, character_id)
                if lists_only:
                    listed = fetch.refresh_sessions(character, user, base_url=convai_url).listed
                    self.stdout.write(f"  {character.display_name}: {listed} sessions listed")
                    continue
                # Every transcript stored from the first minute, so search finds them all.
                run, _ = sync.claim(character, user)
                run = sync.run(run, base_url=convai_url)
                self.stdout.write(
                    f"  {character.display_name}: {character.sessions.count()} sessions, "
                    f"{run.transcripts_fetched} transcripts stored ({run.status})"
                )
        except ConvaiError as error:
            raise CommandError(
                f"Could not seed the demo from the sandbox: {error.user_message}"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Demo login: {username} / {password}"))
