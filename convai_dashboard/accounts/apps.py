from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "convai_dashboard.accounts"
    label = "accounts"
    verbose_name = "Accounts, API keys and characters"

    def ready(self) -> None:
        # Registers the start-up checks of the encryption keys.
        from convai_dashboard.accounts import startup  # noqa: F401
