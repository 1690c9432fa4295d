"""The sign-in page: the studio's identity providers (DJANGO_OIDC_ISSUER, DJANGO_SAML_*) and
Django's password form, any or all; or, behind a trusted proxy that signs users in
(accounts/proxy.py), a page that says to come through it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render


def _sso() -> dict[str, Any]:
    return {
        "sso_name": settings.OIDC_NAME if settings.OIDC_ISSUER else None,
        "saml_name": settings.SAML_NAME if settings.SAML_ENABLED else None,
    }


@login_not_required
def sign_in(request: HttpRequest) -> HttpResponseBase:
    # Behind the proxy a password's session would end at the next request, which has no header
    # but the proxy's; so there is no form to offer.
    if settings.TRUSTED_USER_HEADER:
        return render(
            request, "registration/through_proxy.html", {"header": settings.TRUSTED_USER_HEADER}
        )
    if settings.PASSWORD_SIGN_IN:
        return auth_views.LoginView.as_view(redirect_authenticated_user=True, extra_context=_sso())(
            request
        )
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    context = {**_sso(), "next": request.GET.get("next", ""), "form": None}
    return render(request, "registration/login.html", context)
