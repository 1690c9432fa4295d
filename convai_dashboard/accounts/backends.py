"""Signing in with a user name and password: Django's ModelBackend, with the read of the
signed-in user that every request starts with built once a process (convai_dashboard.prepared)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from convai_dashboard.prepared import Prepared


class PasswordBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        found = _by_pk(user_id) if isinstance(user_id, int) else []
        return found[0] if found and self.user_can_authenticate(found[0]) else None


_by_pk = Prepared(lambda pk: get_user_model()._default_manager.filter(pk=pk), int)
