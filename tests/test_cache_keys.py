"""Keys derived from what a kept value reads (convai_dashboard.cached): a value is never served
to a reader, a version of a character or a time zone it was not made for, and a cached page
follows every input its templates read."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from convai_dashboard.cached import kept
from convai_dashboard.convai.records import SessionSummary
from convai_dashboard.history import store
from convai_dashboard.history.models import ReviewStatus
from tests.factories import make_character, make_key
from tests.markup import row_of

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


class Character:
    """What a key reads of a character."""

    def __init__(self, pk: int = 1, stored_version: int = 0, review_version: int = 0):
        self.pk, self.stored_version, self.review_version = pk, stored_version, review_version


class Reader:
    def __init__(self, pk: int):
        self.pk = pk


@pytest.fixture
def computed() -> Any:
    """`kept` of one kind whose value says how many times it was computed."""
    made = count(1)

    def value(**kwargs: Any) -> int:
        kwargs.setdefault("characters", [Character()])
        kwargs.setdefault("reader", None)
        return kept("test", lambda: next(made), **kwargs)

    return value


def test_a_value_is_kept_under_the_same_inputs(computed):
    assert computed() == computed() == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"characters": [Character(stored_version=1)]},
        {"characters": [Character(review_version=1)]},
        {"characters": [Character(pk=2)]},
        {"characters": [Character(), Character(pk=2)]},
        {"reader": Reader(7)},
        {"reads": "another query"},
    ],
    ids=["stored", "review", "other-character", "more-characters", "reader", "reads"],
)
def test_a_value_is_computed_again_when_what_it_reads_changes(computed, changed):
    assert computed() == 1
    assert computed(**changed) == 2


def test_a_value_is_each_readers_own(computed):
    assert computed(reader=Reader(1)) == 1
    assert computed(reader=Reader(2)) == 2
    assert computed(reader=Reader(1)) == 1


def test_a_value_made_in_one_time_zone_is_not_served_in_another(computed):
    assert computed() == 1
    with timezone.override("Asia/Tokyo"):
        assert computed() == 2


def test_a_value_that_shows_no_review_data_outlives_a_review(computed):
    assert computed(review=False) == 1
    assert computed(review=False, characters=[Character(review_version=5)]) == 1
    assert computed(review=False, characters=[Character(stored_version=5)]) == 2


# --- a cached page follows every input its templates read ---------------------------------


@pytest.fixture
def character(owner):
    held = make_character(owner, make_key(owner), sessions_refreshed_at=T0)
    store.store_session_list(held, [SessionSummary("s1", T0, False)])
    return held


def list_page(client, character) -> str:
    response = client.get(reverse("character", args=[character.character_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_list_page_follows_its_reader(
    owner_client, colleague, colleague_client, character
):
    assert '<span class="who">owner</span>' in list_page(owner_client, character)
    make_character(colleague, make_key(colleague), character_id=character.character_id)
    page = list_page(colleague_client, character)
    assert '<span class="who">colleague</span>' in page
    assert '<span class="who">owner</span>' not in page


def test_a_cached_list_page_follows_the_characters_versions(owner_client, character):
    assert "s2" not in list_page(owner_client, character)
    store.store_session_list(
        character, [SessionSummary("s1", T0, False), SessionSummary("s2", T0, False)]
    )
    assert "s2" in list_page(owner_client, character)
    session = character.sessions.get(session_id="s1")
    owner_client.post(
        reverse("session_status", args=[character.character_id, "s1"]),
        {"status": ReviewStatus.APPROVED},
    )
    assert '<span class="row-status"><span class="badge status-approved">' in row_of(
        list_page(owner_client, character), session
    )


def test_a_cached_list_page_follows_the_readers_preferences(owner_client, character):
    assert "data-theme" not in list_page(owner_client, character)
    owner_client.post(reverse("preferences"), {"theme": "dark", "next": "/"})
    assert 'data-theme="dark"' in list_page(owner_client, character)
    owner_client.post(reverse("preferences"), {"times": "local", "next": "/"})
    assert 'data-times="local"' in list_page(owner_client, character)
