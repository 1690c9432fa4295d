"""Who is signing in, as the sign-in throttle (django-axes) counts them."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address the deployment's own reverse proxy saw. The proxy appends it to
    X-Forwarded-For last; anything to its left was sent by the client and may be forged.
    Used only with DJANGO_BEHIND_TLS_PROXY, when every connection comes from the proxy."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR", "")
