from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from convai_dashboard.accounts import checks
from convai_dashboard.accounts.models import ApiKey, Membership, Role, Team
from convai_dashboard.convai import ConvaiError
from convai_dashboard.history import fetch, sync
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.sandbox import DEMO_CHARACTER_IDS, DEMO_KEY

STUDIO = "Starfall Studio"
# Beside the admin (--username): who reads the demo's characters without its key.
MEMBERS = [("lee", Role.LEAD), ("rita", Role.REVIEWER), ("vic", Role.VIEWER)]


class Command(BaseCommand):
    help = (
        "Creates (or resets) the demo studio team: its admin holds the sandbox's API key and "
        "three characters, whose whole history is synced from a running sandbox (by default at "
        "CONVAI_API_URL); a lead, a reviewer and a viewer read them without the key."
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
        team, _ = Team.objects.get_or_create(name=STUDIO)
        logins = []
        for name, role in [(username, Role.ADMIN), *MEMBERS]:
            user, _ = get_user_model().objects.get_or_create(username=name)
            # The demo passwords are deliberately simple and printed; the validators are for
            # real users.
            user.set_password(password)
            user.save()
            Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
            logins.append(f"{name} / {password} ({role.label})")
        user = get_user_model().objects.get(username=username)
        try:
            key = ApiKey.objects.filter(team=team, label="Sandbox").first() or ApiKey(
                team=team, label="Sandbox"
            )
            checks.set_checked_secret(key, DEMO_KEY, base_url=convai_url)
            key.save()
            for character_id in DEMO_CHARACTER_IDS:
                granted = checks.add_character(key, character_id, base_url=convai_url)
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
        self.stdout.write(self.style.SUCCESS(f"Demo logins, team {team}: {', '.join(logins)}"))
