from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "convai_dashboard.accounts"
    label = "accounts"
    verbose_name = "Accounts, API keys and characters"

    def ready(self) -> None:
        # Registers the start-up checks, and the second factor's question after a sign-in.
        from convai_dashboard.accounts import second_factor, startup  # noqa: F401
