from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from convai_dashboard.accounts.models import ApiKey, Character
from convai_dashboard.history.models import ChatSession, Interaction, Line
from convai_dashboard.history.text import fold
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY, SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, settings: Any) -> Iterator[SandboxServer]:
    """The sandbox, clean, with the dashboard pointed at it and quick to give up."""
    sandbox_server.reset()
    settings.CONVAI_API_URL = sandbox_server.url
    settings.CONVAI_READ_TIMEOUT = 2.0
    settings.CONVAI_RETRIES = 1
    settings.CONVAI_BACKOFF_FACTOR = 0.01
    settings.CONVAI_MAX_RETRY_AFTER = 0.5
    yield sandbox_server
    sandbox_server.reset()


def make_user(username: str = "owner", **kwargs: Any) -> User:
    return User.objects.create_user(username=username, password="pw-for-tests-only", **kwargs)


def make_key(owner: User, secret: str = DEMO_KEY, **kwargs: Any) -> ApiKey:
    kwargs.setdefault("label", "Studio")
    key = ApiKey(owner=owner, **kwargs)
    key.set_secret(secret)
    key.save()
    return key


def make_character(owner: User, api_key: ApiKey | None = None, **kwargs: Any) -> Character:
    kwargs.setdefault("character_id", ASTRONAUT_ID)
    kwargs.setdefault("name", "Test character")
    return Character.objects.create(owner=owner, api_key=api_key, **kwargs)


def make_session(character: Character, **kwargs: Any) -> ChatSession:
    kwargs.setdefault("session_id", f"session-{ChatSession.objects.count() + 1}")
    kwargs.setdefault("started_at", datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    session = ChatSession.objects.create(character=character, **kwargs)
    # As the store does when it stores a session list.
    Character.objects.filter(pk=character.pk).update(session_count=F("session_count") + 1)
    character.refresh_from_db(fields=["session_count"])
    return session


def make_interaction(session: ChatSession, *turns: tuple[str, str], **kwargs: Any) -> Interaction:
    kwargs.setdefault(
        "occurred_at", session.started_at + timedelta(seconds=session.interactions.count())
    )
    interaction = Interaction.objects.create(session=session, **kwargs)
    for position, (speaker, text) in enumerate(turns):
        Line.objects.create(
            interaction=interaction,
            session=session,
            character_id=session.character_id,
            position=position,
            speaker=speaker,
            text=text,
            search_text=fold(text),
        )
    return interaction


@pytest.fixture
def owner(db: None) -> User:
    return make_user("owner")


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("outsider")


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    client = Client()
    client.force_login(outsider)
    return client
