from __future__ import annotations

from django.urls import path

from convai_dashboard.accounts import views

urlpatterns = [
    path("", views.characters, name="home"),
    path("characters/add/", views.character_add, name="character_add"),
    path("characters/import/", views.characters_import, name="characters_import"),
    path("characters/<str:character_id>/remove/", views.character_remove, name="character_remove"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:pk>/edit/", views.key_edit, name="key_edit"),
    path("keys/<int:pk>/delete/", views.key_delete, name="key_delete"),
]
