"""The release every cache key carries (convai_dashboard.release, settings.CACHES' KEY_PREFIX):
a value kept by one release is never read by the next."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from convai_dashboard import release
from convai_dashboard.convai.records import Interaction, SessionSummary, Turn
from convai_dashboard.history import store
from convai_dashboard.pages import search
from tests.factories import make_character, make_key

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def kept_under(settings, prefix: str, made: count) -> int:
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    return cache.get_or_set("page", lambda: next(made))


def test_every_cache_key_carries_the_release():
    assert django_settings.CACHES["default"]["KEY_PREFIX"] == release.current(ROOT)
    assert django_settings.RELEASE.startswith("0.1.0-")


def test_a_value_kept_under_one_release_is_not_read_under_the_next(settings):
    made = count(1)
    assert kept_under(settings, "0.1.0-aaaaaaaaaaaa", made) == 1
    assert kept_under(settings, "0.1.0-aaaaaaaaaaaa", made) == 1
    assert kept_under(settings, "0.1.0-bbbbbbbbbbbb", made) == 2


def test_a_release_changes_with_any_template_static_file_or_code(tmp_path):
    for folder in ("convai_dashboard", "templates", "static"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text("a")
    first = release.current(tmp_path)
    assert release.current(tmp_path) == first
    seen = {first}
    for folder in ("convai_dashboard", "templates", "static"):
        (tmp_path / folder / "a.txt").write_text("changed")
        seen.add(release.current(tmp_path))
    (tmp_path / "templates" / "new.html").write_text("")
    seen.add(release.current(tmp_path))
    # Compiled Python follows its source: it changes no release.
    (tmp_path / "convai_dashboard" / "__pycache__").mkdir()
    (tmp_path / "convai_dashboard" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    seen.add(release.current(tmp_path))
    assert len(seen) == 5


@pytest.mark.django_db
def test_a_page_cached_under_one_release_is_not_served_under_the_next(
    settings, monkeypatch, owner, owner_client
):
    character = make_character(owner, make_key(owner), sessions_refreshed_at=T0)
    store.store_session_list(character, [SessionSummary("s1", T0, False)])
    store.store_transcript(
        character.sessions.get(),
        [Interaction(T0, (Turn("User", "Who are you?"), Turn("Character", "A wide one.")), False)],
    )

    def searched() -> str:
        return owner_client.get(reverse("search"), {"q": "wide"}).content.decode()

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "0.1.0-aaaa"}}
    assert "<mark>wide</mark>" in searched()
    # The next release renders results another way; the one before kept its own.
    monkeypatch.setattr(search, "render_to_string", lambda *args: "<p>Rendered anew</p>")
    assert "<mark>wide</mark>" in searched()
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "0.1.0-bbbb"}}
    assert "Rendered anew" in searched()
