"""allauth's SAML views, with a page that says why for the two refusals allauth leaves
without one: an answer to no sign-in this browser started (replayed, or sent unasked), which
allauth answers with a bare 403, and a NameID that is not persistent (provider.py)."""

from __future__ import annotations

from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml import views as allauth_views
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from convai_dashboard.accounts.sso.saml.provider import SignInRefused

NOT_ASKED = (
    "The identity provider's answer is not to a sign-in this browser started here: it may be "
    "replayed from another sign-in."
)


@login_not_required
def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponseBase:
    try:
        return allauth_views.finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        refusal = SignInRefused(NOT_ASKED)
    except SignInRefused as error:
        refusal = error
    provider = get_app_or_404(request, organization_slug).get_provider(request)
    return render_authentication_error(request, provider, exception=refusal)
