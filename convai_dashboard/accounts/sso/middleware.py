"""allauth's AccountMiddleware, on the pages that read what it sets (the request, for its
adapters): its own, under /accounts/, and the sign-in's, under /login/. allauth asks for it on
every request; on the others it made a first visit 2 to 4% slower (docs/performance.md, "Teams
and roles")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.middleware import AccountMiddleware
from django.http import HttpRequest, HttpResponseBase

PREFIXES = ("/accounts/", "/login/")


def allauth_where_it_is_read(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    with_allauth = AccountMiddleware(get_response)

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(PREFIXES):
            return with_allauth(request)
        return get_response(request)

    def process_exception(request: HttpRequest, exception: Exception) -> Any:
        if request.path.startswith(PREFIXES):
            return with_allauth.process_exception(request, exception)
        return None

    middleware.process_exception = process_exception  # type: ignore[attr-defined]
    return middleware
