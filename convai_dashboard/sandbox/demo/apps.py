from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo's management commands, which use both the sandbox and the product. Nothing of
    the product imports them, and the sandbox server imports nothing of the product."""

    name = "convai_dashboard.sandbox.demo"
    label = "sandbox_demo"
    verbose_name = "Sandbox demo"
