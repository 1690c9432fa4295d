"""allauth's SAML URLs (allauth.urls.build_provider_urlpatterns finds them by the provider
class's package), with this package's view where the answer is read."""

from __future__ import annotations

from allauth.socialaccount.providers.saml import views as allauth_views
from django.urls import include, path

from convai_dashboard.accounts.sso.saml import views

urlpatterns = [
    path(
        "saml/<str:organization_slug>/",
        include(
            [
                path("acs/", allauth_views.acs, name="saml_acs"),
                path("acs/finish/", views.finish_acs, name="saml_finish_acs"),
                path("sls/", allauth_views.sls, name="saml_sls"),
                path("metadata/", allauth_views.metadata, name="saml_metadata"),
                path("login/", allauth_views.login, name="saml_login"),
            ]
        ),
    )
]
