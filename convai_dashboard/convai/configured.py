"""A client set up as the deployment's settings say: the one way the rest of the product makes
one. The client itself reads no settings, so it can be used and tested on its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from convai_dashboard.convai.client import ConvaiClient


# Error reports show no variable of this, nor of the client's frames below it (the key).
@sensitive_variables()
def client_for(secret: str, *, base_url: str | None = None, **overrides: Any) -> ConvaiClient:
    """A client for one API key. `base_url` names another Convai (a sandbox started by a
    command) without touching settings; `overrides` are the client's own options."""
    options: dict[str, Any] = {
        "base_url": base_url or settings.CONVAI_API_URL,
        "proxy": settings.CONVAI_PROXY,
        "connect_timeout": settings.CONVAI_CONNECT_TIMEOUT,
        "read_timeout": settings.CONVAI_READ_TIMEOUT,
        "retries": settings.CONVAI_RETRIES,
        "backoff_factor": settings.CONVAI_BACKOFF_FACTOR,
        "max_retry_after": settings.CONVAI_MAX_RETRY_AFTER,
    }
    return ConvaiClient(secret, **{**options, **overrides})


def page_limits() -> dict[str, Any]:
    """Overrides for a call that a person's page request waits on: it asks once and gives up
    after CONVAI_PAGE_TIMEOUT. A retry of a slow 502 would double that, and a Retry-After
    would be waited out with the page held; the page says what Convai answered instead, and
    Refresh asks again. Background syncs keep the long read timeout and the retries."""
    page = settings.CONVAI_PAGE_TIMEOUT
    return {
        "connect_timeout": min(settings.CONVAI_CONNECT_TIMEOUT, page),
        "read_timeout": page,
        "retries": 0,
    }
