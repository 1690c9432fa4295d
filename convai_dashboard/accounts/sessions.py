"""Django's database sessions, with the read every signed-in request starts with built once a
process (convai_dashboard.prepared) instead of on each request."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from convai_dashboard.prepared import Prepared

_by_key = Prepared(lambda key: Session.objects.filter(session_key=key), str)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _by_key(key) if isinstance(key, str) else []
        if found and found[0].expire_date > timezone.now():
            return found[0]
        # As Django's: an unknown or expired key is forgotten, and a new one made on save.
        self._session_key = None
        return None
