"""The URLs allauth's OpenID Connect provider has, to this package's views: allauth builds
them from the provider class's package (allauth.urls.build_provider_urlpatterns)."""

from __future__ import annotations

from allauth.socialaccount import app_settings
from django.urls import include, path

from convai_dashboard.accounts.sso import views

_provider = [
    path("login/", views.login, name="openid_connect_login"),
    path("login/callback/", views.callback, name="openid_connect_callback"),
]
urlpatterns = [
    path(
        f"{app_settings.OPENID_CONNECT_URL_PREFIX}/<str:provider_id>/",
        include(_provider),
    )
]
