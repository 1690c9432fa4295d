from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from convai_dashboard.accounts.teams import personal_team
from convai_dashboard.sandbox import SandboxServer
from tests.factories import make_user

# The browser fixtures (page, console_errors) for the tests that drive Chromium.
pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    # What is cached is keyed by primary keys, which the next test's rolled-back database can
    # hand out again for other rows.
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Tests sign users in, never attack their passwords: the real hasher costs ~0.2 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    settings.CONVAI_PAGE_TIMEOUT = 2.0
    settings.CONVAI_RETRIES = 1
    settings.CONVAI_BACKOFF_FACTOR = 0.01
    settings.CONVAI_MAX_RETRY_AFTER = 0.5
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def owner(db: None) -> User:
    """A user as the upgrade left each one: the admin of a personal team, which holds their
    keys and characters (tests.factories)."""
    user = make_user("owner")
    personal_team(user)
    return user


@pytest.fixture
def colleague(db: None) -> User:
    """A second user, who may hold the same characters as the owner, in a team of their own."""
    user = make_user("colleague")
    personal_team(user)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """A user with a team of their own, which holds nothing of the owner's."""
    user = make_user("outsider")
    personal_team(user)
    return user


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def colleague_client(colleague: User) -> Client:
    client = Client()
    client.force_login(colleague)
    return client
