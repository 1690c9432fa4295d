from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from convai_dashboard.ops.views import healthz
from convai_dashboard.pages.sign_in import sign_in

urlpatterns = [
    path("login/", sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("convai_dashboard.pages.urls")),
]
