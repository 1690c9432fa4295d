from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from convai_dashboard.accounts import crypto
from convai_dashboard.accounts.models import ApiKey


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored Convai API key under the first of CONVAI_KEY_ENCRYPTION_KEYS, "
        "so older encryption keys can then be removed from the list. A key that none of them "
        "decrypts is left as it is and named (never shown), and the command exits with 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, undecryptable = 0, []
        with transaction.atomic():
            keys = (
                ApiKey.objects.select_for_update(of=("self",))
                .select_related("team")
                .only("pk", "label", "encrypted_key", "team__name")
                .order_by("pk")
            )
            for key in keys:
                try:
                    key.encrypted_key = crypto.rotate(key.encrypted_key)
                except crypto.UndecryptableKey:
                    undecryptable.append(key)
                    continue
                key.save(update_fields=["encrypted_key"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} API key(s) under the newest encryption key.")
        if undecryptable:
            named = "; ".join(
                f"“{key.label}” of team {key.team.name} (id {key.pk})" for key in undecryptable
            )
            raise CommandError(
                f"{len(undecryptable)} API key(s) cannot be decrypted with any of "
                f"CONVAI_KEY_ENCRYPTION_KEYS and were left as they are: {named}. Put back the "
                "encryption key that made them, or have their teams' admins enter them again, "
                "before removing an old encryption key."
            )
