from __future__ import annotations

from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages: views, forms and template tags. They read the store and ask its services to
    fetch; they never call the Convai client themselves."""

    name = "convai_dashboard.pages"
    label = "pages"
    verbose_name = "Pages"
