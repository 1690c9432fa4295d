"""What every request and response goes through, whatever the page: addresses no page can
serve, and what signed-in pages let caches keep."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase
from django.urls import reverse
from django.utils.cache import patch_cache_control

from convai_dashboard.accounts import second_factor

Middleware = Callable[[HttpRequest], HttpResponseBase]


def refuse_nul(get_response: Middleware) -> Middleware:
    """A NUL in the path or the query string names nothing here, and PostgreSQL refuses it in
    a query (a 500): such a request is a 400 before any view sees it."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            return HttpResponseBadRequest(
                "This address holds a NUL character, which no page has.",
                content_type="text/plain; charset=utf-8",
            )
        return get_response(request)

    return middleware


def second_factor_gate(get_response: Middleware) -> Middleware:
    """A user whose team requires a second factor, signed in but not past it, is sent to give
    it (pages.second_factor) from any page but that one and signing out. Someone signed out
    passes, and LoginRequiredMiddleware sends them to sign in."""
    open_paths = {reverse("second_factor"), reverse("logout")}

    def middleware(request: HttpRequest) -> HttpResponseBase:
        pending = request.user.is_authenticated and request.session.get(second_factor.PENDING)
        if pending and request.path not in open_paths:
            return redirect_to_login(request.get_full_path(), reverse("second_factor"))
        return get_response(request)

    return middleware


def private_pages(get_response: Middleware) -> Middleware:
    """A signed-in page shows history, reviews or keys of its user: neither a shared cache nor
    the browser's may keep it (the back button after signing out must not show it either).
    Static files are served before this, and stay cacheable."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
