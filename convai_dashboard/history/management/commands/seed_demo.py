from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from convai_dashboard.accounts.models import ApiKey, Character
from convai_dashboard.convai import ConvaiError
from convai_dashboard.history import fetch
from convai_dashboard.sandbox import DEMO_CHARACTER_IDS, DEMO_KEY


class Command(BaseCommand):
    help = (
        "Creates (or resets) the demo user with the sandbox's API key and three characters, and "
        "fetches their session lists. Needs the sandbox running at CONVAI_API_URL."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")

    def handle(self, *args: Any, username: str, password: str, **options: Any) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        # The demo password is deliberately simple and printed; the validators are for real users.
        user.set_password(password)
        user.save()
        try:
            key = ApiKey.objects.filter(owner=user, label="Sandbox").first() or ApiKey(
                owner=user, label="Sandbox"
            )
            fetch.set_checked_secret(key, DEMO_KEY)
            key.save()
            for character_id in DEMO_CHARACTER_IDS:
                found = fetch.look_up_character(key, character_id)
                character, _ = Character.objects.update_or_create(
                    owner=user,
                    character_id=character_id,
                    defaults={"api_key": key, "name": found.name},
                )
                result = fetch.refresh_sessions(character)
                self.stdout.write(f"  {character.display_name}: {result.listed} sessions listed")
        except ConvaiError as error:
            raise CommandError(
                f"Could not seed the demo from the sandbox: {error.user_message}"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Demo login: {username} / {password}"))
