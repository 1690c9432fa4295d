"""Queries built once a process (convai_dashboard.prepared): the same rows as the querysets
they are built from, for every value they are run with, and the pages that start with them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from convai_dashboard.accounts import backends
from convai_dashboard.accounts import models as accounts_models
from convai_dashboard.accounts.models import CharacterAccess, Preferences
from convai_dashboard.history import models as history_models
from convai_dashboard.history.models import (
    ChatSession,
    ConvaiCharacter,
    SyncRun,
    SyncStatus,
    latest_sync_run,
    session_of,
)
from convai_dashboard.prepared import FrozenValue, Prepared
from convai_dashboard.review import models as review_models
from convai_dashboard.review.models import tags_of
from tests.factories import make_character, make_session, make_tag, make_user

pytestmark = pytest.mark.django_db


def test_each_run_gets_its_own_values_rows_as_the_queryset_would() -> None:
    owner, other = make_user("owner"), make_user("other")
    mine = make_character(owner, character_id="mine")
    theirs = make_character(other, character_id="theirs")
    sessions = {
        character.pk: [make_session(character, session_id=f"{character.pk}-{n}") for n in range(3)]
        for character in (mine, theirs)
    }
    by_character = Prepared(
        lambda character_pk, session_id: ChatSession.objects.filter(
            character_id=character_pk, session_id__gt=session_id
        ).order_by("session_id"),
        int,
        str,
    )
    for character in (mine, theirs, mine):
        for after in ("", f"{character.pk}-0", f"{character.pk}-2"):
            expected = [s.pk for s in sessions[character.pk] if s.session_id > after]
            assert [s.pk for s in by_character(character.pk, after)] == expected
    assert by_character.compiled is not None  # built at the first run, then reused


def test_a_value_the_orm_changes_on_its_way_to_sql_cannot_be_prepared() -> None:
    contains = Prepared(lambda text: ChatSession.objects.filter(session_id__contains=text), str)
    with pytest.raises(FrozenValue):
        contains("abc")


@pytest.mark.parametrize(
    "build",
    [
        # A constant: the same in every run, but a change to it would go unseen.
        lambda pk: SyncRun.objects.filter(character_id=pk, status=SyncStatus.DONE),
        # A time taken as the query is built: prepared, it would stay the first request's.
        lambda pk: CharacterAccess.objects.filter(team_id=pk, added_at__lte=timezone.now()),
    ],
    ids=["constant", "now"],
)
def test_a_query_with_a_value_that_is_not_a_marker_is_refused(build: Any) -> None:
    prepared = Prepared(build, int)
    with pytest.raises(FrozenValue):
        prepared(1)
    assert prepared.compiled is None


def test_every_query_the_product_prepares_passes_the_guard() -> None:
    # Each is built at its first run; a refused one would fail the page that runs it.
    prepared = [
        value
        for module in (history_models, review_models, accounts_models, backends)
        for value in vars(module).values()
        if isinstance(value, Prepared)
    ]
    assert len(prepared) == 7
    for query in prepared:
        query(*(1 if kind is int else "x" for kind in query.types))
        assert query.compiled is not None


def test_a_value_of_another_type_is_refused() -> None:
    by_pk = Prepared(lambda pk: ChatSession.objects.filter(pk=pk), int)
    with pytest.raises(TypeError):
        by_pk("1")


def test_held_histories_follow_the_access() -> None:
    owner, outsider = make_user("owner"), make_user("outsider")
    character = make_character(owner, character_id="held")
    assert ConvaiCharacter.objects.all_held(owner) == [character]
    assert ConvaiCharacter.objects.all_held(outsider) == []
    assert ConvaiCharacter.objects.held_by(owner, "held") == character
    with pytest.raises(CharacterAccess.DoesNotExist):
        ConvaiCharacter.objects.held_by(outsider, "held")
    CharacterAccess.objects.for_user(owner).update(suspended_at=timezone.now())
    assert ConvaiCharacter.objects.all_held(owner) == []
    with pytest.raises(CharacterAccess.DoesNotExist):
        ConvaiCharacter.objects.held_by(owner, "held")


def test_a_session_is_found_only_under_its_character(owner: User) -> None:
    first = make_character(owner, character_id="first")
    second = make_character(owner, character_id="second")
    chat = make_session(first, session_id="shared-id")
    found = session_of(first, "shared-id")
    assert found == chat
    assert found is not None and found.character is first  # no query to read it again
    assert session_of(second, "shared-id") is None


def test_the_latest_run_and_the_tags_are_the_characters_own(owner: User) -> None:
    first = make_character(owner, character_id="first")
    second = make_character(owner, character_id="second")
    assert latest_sync_run(first) is None
    SyncRun.objects.create(character=first, status=SyncStatus.DONE)
    newest = SyncRun.objects.create(character=first, status=SyncStatus.DONE)
    SyncRun.objects.create(character=second, status=SyncStatus.DONE)
    assert latest_sync_run(first) == newest
    make_tag(first, "b"), make_tag(first, "a"), make_tag(second, "c")
    assert [tag.name for tag in tags_of(first)] == ["a", "b"]


def test_preferences_are_the_users_or_the_defaults() -> None:
    owner, other = make_user("owner"), make_user("other")
    Preferences.objects.create(user=owner, theme="dark")
    assert Preferences.of(owner).theme == "dark"
    assert Preferences.of(other).pk is None
    assert Preferences.of(other).theme == Preferences().theme


def test_an_expired_session_signs_the_user_out(client: Client) -> None:
    client.force_login(make_user("owner"))
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_made_inactive_is_signed_out(client: Client) -> None:
    user = make_user("owner")
    client.force_login(user)
    assert client.get("/").status_code == 200
    user.is_active = False
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
