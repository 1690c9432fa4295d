"""allauth's OpenID Connect login and callback views, with the verified adapter."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponseBase

from convai_dashboard.accounts.sso.provider import VerifiedAdapter


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponseBase:
    try:
        return OAuth2LoginView.adapter_view(VerifiedAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such identity provider.") from None


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponseBase:
    try:
        return OAuth2CallbackView.adapter_view(VerifiedAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such identity provider.") from None
