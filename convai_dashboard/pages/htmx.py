"""The one rule for "fragment or full page", and the request type every view takes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type of every view: django-htmx's middleware adds `htmx`, and
    LoginRequiredMiddleware lets only signed-in users through."""

    htmx: HtmxDetails
    user: User


def wants_fragment(request: HtmxHttpRequest) -> bool:
    # A history-restore request also carries HX-Request, but wants the whole page: answering
    # it with a fragment would break the back button.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str,
    status: int = 200,
) -> HttpResponse:
    """The page, or only its `partial` when htmx asks for a fragment. Views that use this
    vary on HX-Request (`@vary_on_headers("HX-Request")`)."""
    if wants_fragment(request):
        return render(request, f"{template}#{partial}", context, status=status)
    return render(request, template, context, status=status)
