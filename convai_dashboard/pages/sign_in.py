"""The sign-in page: Django's password form, or, behind a trusted proxy that signs users in
(accounts/proxy.py), a page that says to come through it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

_password_form = auth_views.LoginView.as_view(redirect_authenticated_user=True)


@login_not_required
def sign_in(request: HttpRequest) -> HttpResponseBase:
    # Behind the proxy a password's session would end at the next request, which has no header
    # but the proxy's; so there is no form to offer.
    if settings.TRUSTED_USER_HEADER:
        return render(
            request, "registration/through_proxy.html", {"header": settings.TRUSTED_USER_HEADER}
        )
    return _password_form(request)
