"""Migration accounts 0007 gives each existing user a personal team, which they administer and
which holds their keys and characters: nobody sees anything they could not see before. Tried
on a store of three users, two of whom hold the same character."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from convai_dashboard.accounts.models import ApiKey, CharacterAccess, Membership, Role
from convai_dashboard.history.models import ConvaiCharacter

BEFORE = [("accounts", "0006_preferences")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def three_users(transactional_db):
    apps = migrate(BEFORE)
    OldUser = apps.get_model("auth", "User")
    Key = apps.get_model("accounts", "ApiKey")
    Access = apps.get_model("accounts", "CharacterAccess")
    ana, ben, cy = (OldUser.objects.create(username=name) for name in ("ana", "ben", "cy"))
    keys = {
        user.username: Key.objects.create(owner=user, label="Studio", last_four=user.username)
        for user in (ana, ben, cy)
    }
    for user, character_id in ((ana, "shared"), (ana, "alone"), (ben, "shared")):
        Access.objects.create(
            owner=user, api_key=keys[user.username], character_id=character_id, name=character_id
        )
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    # The histories: only accounts went back, so they are made with today's model.
    for character_id in ("shared", "alone"):
        ConvaiCharacter.objects.create(character_id=character_id, name=character_id)


def held(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(ConvaiCharacter.objects.for_user(user).values_list("character_id", flat=True))


def test_each_user_administers_a_personal_team_with_their_keys_and_characters(three_users):
    memberships = Membership.objects.select_related("team", "user")
    assert sorted((m.user.username, m.team.name, m.role) for m in memberships) == [
        ("ana", "ana (personal)", Role.ADMIN),
        ("ben", "ben (personal)", Role.ADMIN),
        ("cy", "cy (personal)", Role.ADMIN),
    ]
    for name in ("ana", "ben", "cy"):
        user = User.objects.get(username=name)
        assert list(ApiKey.objects.administered_by(user).values_list("last_four", flat=True)) == [
            name
        ]
    ana_team = Membership.objects.get(user__username="ana").team
    assert CharacterAccess.objects.filter(team=ana_team, api_key__team=ana_team).count() == 2


def test_nobody_sees_more_or_less_than_before(three_users):
    assert held("ana") == {"shared", "alone"}
    assert held("ben") == {"shared"}
    assert held("cy") == set()
    # One history, still, for the character two users hold.
    assert ConvaiCharacter.objects.filter(character_id="shared").count() == 1
