from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type of every view: django-htmx's middleware adds `htmx`, and
    LoginRequiredMiddleware lets only signed-in users through."""

    htmx: HtmxDetails
    user: User
