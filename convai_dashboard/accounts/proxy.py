"""Signing in through a trusted proxy (oauth2-proxy, Authelia): the proxy authenticates each
request and names its user in a header, `DJANGO_TRUSTED_USER_HEADER`. Off unless that is set.

Django's RemoteUserMiddleware and RemoteUserBackend do the work. The header is believed only
because the proxy always sets or strips it (README, "Signing in through a proxy"): so, while it
is on, a request without it is signed in as nobody, however its session was signed in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.http import HttpRequest

from convai_dashboard.accounts import teams
from convai_dashboard.accounts.backends import PasswordBackend


def meta_key(header: str) -> str:
    """Where Django puts an HTTP header in `request.META`: X-Forwarded-User in
    HTTP_X_FORWARDED_USER."""
    return "HTTP_" + header.upper().replace("-", "_")


class TrustedHeaderMiddleware(RemoteUserMiddleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self.meta_key = meta_key(settings.TRUSTED_USER_HEADER)

    def get_username(self, request: HttpRequest) -> str:
        # An empty header names nobody: as if it were missing.
        name = request.META[self.meta_key].strip()
        if not name:
            raise KeyError(self.meta_key)
        return name

    # Django removes only a user its header signed in; here any, a password's too.
    def _remove_invalid_user(self, request: HttpRequest) -> None:
        auth.logout(request)

    async def _aremove_invalid_user(self, request: HttpRequest) -> None:
        await auth.alogout(request)


class TrustedHeaderBackend(RemoteUserBackend, PasswordBackend):
    """The proxy's user, made on their first request and placed in the teams their groups
    map to (DJANGO_TRUSTED_GROUPS_HEADER, DJANGO_TEAM_MAPPING), and read back on each request
    as a password's user is."""

    def configure_user(self, request: HttpRequest | None, user: Any, created: bool = True) -> Any:
        if created and request is not None and settings.TRUSTED_GROUPS_HEADER:
            raw = request.META.get(meta_key(settings.TRUSTED_GROUPS_HEADER), "")
            groups = [group.strip() for group in raw.split(",") if group.strip()]
            teams.place_new_user(user, groups, user.email)
        return user
