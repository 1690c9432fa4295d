from __future__ import annotations

from django.urls import path

from convai_dashboard.history import search_views, views

urlpatterns = [
    path("search/", search_views.search_page, name="search"),
    path("characters/<str:character_id>/", views.character, name="character"),
    path("characters/<str:character_id>/refresh/", views.refresh, name="refresh_sessions"),
    path("characters/<str:character_id>/sync/", views.sync_start, name="sync_start"),
    path("characters/<str:character_id>/sync/status/", views.sync_status, name="sync_status"),
    path("characters/<str:character_id>/sync/cancel/", views.sync_cancel, name="sync_cancel"),
    path("characters/<str:character_id>/sessions/<str:session_id>/", views.session, name="session"),
    path(
        "characters/<str:character_id>/sessions/<str:session_id>/refetch/",
        views.refetch_transcript,
        name="refetch_transcript",
    ),
]
