from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from convai_dashboard.ops import health


# Typed HttpRequest, not pages' HtmxHttpRequest: no htmx here, and no signed-in user.
@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a task worker beat lately; 503 otherwise, saying which
    is wrong. For monitors: it needs no sign-in and shows no secrets (docs/deploy.md)."""
    report = health.report()
    return JsonResponse(report, status=200 if report["ok"] else 503)
