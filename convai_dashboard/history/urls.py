from __future__ import annotations

from django.urls import path

from convai_dashboard.history import views

urlpatterns = [
    path("characters/<int:pk>/", views.character, name="character"),
    path("characters/<int:pk>/refresh/", views.refresh, name="refresh_sessions"),
    path("characters/<int:pk>/sync/", views.sync_start, name="sync_start"),
    path("characters/<int:pk>/sync/status/", views.sync_status, name="sync_status"),
    path("characters/<int:pk>/sync/cancel/", views.sync_cancel, name="sync_cancel"),
    path("characters/<int:pk>/sessions/<str:session_id>/", views.session, name="session"),
    path(
        "characters/<int:pk>/sessions/<str:session_id>/refetch/",
        views.refetch_transcript,
        name="refetch_transcript",
    ),
]
