from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from convai_dashboard.accounts import crypto
from convai_dashboard.accounts.models import ApiKey


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored Convai API key under the first of CONVAI_KEY_ENCRYPTION_KEYS, "
        "so older encryption keys can then be removed from the list."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for key in ApiKey.objects.select_for_update().only("pk", "encrypted_key"):
                key.encrypted_key = crypto.rotate(key.encrypted_key)
                key.save(update_fields=["encrypted_key"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} API key(s) under the newest encryption key.")
