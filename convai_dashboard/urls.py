from __future__ import annotations

from allauth.socialaccount import views as social_views
from allauth.urls import build_provider_urlpatterns
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from convai_dashboard.ops.views import healthz
from convai_dashboard.pages.second_factor import second_factor_page
from convai_dashboard.pages.sign_in import sign_in

urlpatterns = [
    path("login/", sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/second-factor/", second_factor_page, name="second_factor"),
    # Of allauth, only the identity provider's sign-in and what its flow may show (an error,
    # a cancelled sign-in): no local sign-up, password or e-mail pages.
    path("accounts/", include(build_provider_urlpatterns())),
    path(
        "accounts/3rdparty/login/cancelled/",
        social_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path(
        "accounts/3rdparty/login/error/",
        social_views.login_error,
        name="socialaccount_login_error",
    ),
    path("accounts/3rdparty/signup/", social_views.signup, name="socialaccount_signup"),
]
if not settings.PASSWORD_SIGN_IN:
    # The admin's own password form would be a way round the switch.
    urlpatterns.append(
        path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True))
    )
urlpatterns += [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("convai_dashboard.pages.urls")),
]
