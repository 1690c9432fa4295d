from __future__ import annotations

from django.urls import path

from convai_dashboard.pages import characters, keys, search, sessions, sync

CHARACTER = "characters/<str:character_id>/"
SESSION = CHARACTER + "sessions/<str:session_id>/"

urlpatterns = [
    path("", characters.characters, name="home"),
    path("characters/add/", characters.character_add, name="character_add"),
    path("characters/import/", characters.characters_import, name="characters_import"),
    path(CHARACTER + "remove/", characters.character_remove, name="character_remove"),
    path("keys/", keys.keys, name="keys"),
    path("keys/<int:pk>/edit/", keys.key_edit, name="key_edit"),
    path("keys/<int:pk>/delete/", keys.key_delete, name="key_delete"),
    path("search/", search.search_page, name="search"),
    path(CHARACTER, sessions.character_page, name="character"),
    path(CHARACTER + "refresh/", sessions.refresh, name="refresh_sessions"),
    path(CHARACTER + "sync/", sync.sync_start, name="sync_start"),
    path(CHARACTER + "sync/status/", sync.sync_status, name="sync_status"),
    path(CHARACTER + "sync/cancel/", sync.sync_cancel, name="sync_cancel"),
    path(SESSION, sessions.session_page, name="session"),
    path(SESSION + "refetch/", sessions.refetch_transcript, name="refetch_transcript"),
]
