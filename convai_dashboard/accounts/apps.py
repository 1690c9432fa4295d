from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "convai_dashboard.accounts"
    label = "accounts"
    verbose_name = "Accounts, API keys and characters"
