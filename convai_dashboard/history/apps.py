from __future__ import annotations

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "convai_dashboard.history"
    label = "history"
    verbose_name = "Chat history"
