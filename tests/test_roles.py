"""The role table, asked of every URL the pages serve: each view says what it needs
(`pages.access.needs`), and each role gets exactly that, in full pages and htmx, for GET and
POST. An outsider and a removed member get a 404 on every URL that names something the team
holds. The URLs come from the URL configuration, so a new view with no rule fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from convai_dashboard.accounts import roles, teams
from convai_dashboard.accounts.models import Membership, Role, Team
from convai_dashboard.accounts.roles import Action
from convai_dashboard.history import sync
from convai_dashboard.pages import urls as page_urls
from convai_dashboard.review.models import Queue, QueueItem
from tests.factories import (
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_member,
    make_session,
    make_tag,
    make_user,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
# Served to anyone: an invitation's link opens for a newcomer too (tests/test_invitations.py).
PUBLIC = {"invitation"}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


PAGE_URLS = [
    (route, pattern)
    for route, pattern in _patterns(get_resolver())
    if pattern.callback.__module__.startswith(page_urls.__package__ or "")
    and pattern.name not in PUBLIC | {"login"}
]
SCOPED = [(route, p) for route, p in PAGE_URLS if "team_id" in route or "character_id" in route]


R, V, S, F, T, M, Q = (
    Action.READ,
    Action.REVIEW,
    Action.SYNC,
    Action.SETTLE_FLAGS,
    Action.MANAGE_TAGS,
    Action.MANAGE_TEAM,
    Action.MANAGE_QUEUES,
)
# What each URL needs, for GET and for POST: the table of the issue, written out here apart
# from the views' own marks, so that a mark changed by mistake fails too.
TABLE: dict[str, tuple[Action, Action]] = {
    "home": (R, R),
    "teams": (R, R),
    "team": (R, R),
    "member_change": (M, M),
    "invitation_new": (M, M),
    "invitation_revoke": (M, M),
    "audit_log": (M, M),
    "team_settings": (M, M),
    "second_factor": (R, R),
    "character_remove": (M, M),
    "character_add": (M, M),
    "characters_import": (M, M),
    "keys": (M, M),
    "key_edit": (M, M),
    "key_delete": (M, M),
    "search": (R, R),
    "preferences": (R, R),
    "backlog": (R, R),
    "flags_csv": (R, R),
    "rewrites_jsonl": (R, R),
    "character": (R, R),
    "character_overview": (R, R),
    "refresh_sessions": (R, R),
    "sync_start": (S, S),
    "sync_status": (R, R),
    "sync_cancel": (S, S),
    "sessions_csv": (R, R),
    "character_backlog": (R, R),
    "character_flags_csv": (R, R),
    "character_rewrites_jsonl": (R, R),
    "flag_edit": (V, V),
    "tags": (R, T),
    "tags_apply": (T, T),
    "tag_delete": (T, T),
    "session": (R, R),
    "refetch_transcript": (R, R),
    "session_status": (V, V),
    "session_tag": (V, V),
    "session_untag": (V, V),
    "session_note": (V, V),
    "session_json": (R, R),
    "session_markdown": (R, R),
    "flag_new": (V, V),
    "bug_report": (R, R),
    "my_work": (R, R),
    "queue_new": (Q, Q),
    "queue": (R, R),
    "queue_edit": (Q, Q),
    "queue_delete": (Q, Q),
    "queue_add": (Q, Q),
    "queue_results": (R, R),
    "queue_work": (V, V),
    "queue_start": (V, V),
    "queue_done": (V, V),
    "queue_skip": (V, V),
    "queue_resolve": (Q, Q),
}


def test_every_page_needs_what_the_table_says():
    marks = {p.name: getattr(p.callback, "needs", None) for _, p in PAGE_URLS}
    assert marks == {name: {"GET": get, "POST": post} for name, (get, post) in TABLE.items()}


def test_roles_sort_highest_first_by_their_value():
    # Role.highest_first orders memberships by the column: that holds only while it does.
    assert sorted(Role.values) == [role.value for role in reversed(Role)]


def test_an_admin_grants_no_role_above_their_own():
    assert roles.may_grant(Role.ADMIN, Role.ADMIN) and roles.may_grant(Role.LEAD, Role.REVIEWER)
    assert not roles.may_grant(Role.LEAD, Role.ADMIN)
    assert not roles.may_grant(Role.VIEWER, Role.REVIEWER)


def test_a_flag_is_approved_or_left_wont_fix_by_a_lead_alone(studio):
    url = _url("characters/<str:character_id>/flags/<int:flag_id>/", studio["ids"])
    for role, user in studio["users"].items():
        for status in ("approved", "wont_fix"):
            answer = _status(user, "post", url, {"data": {"status": status}})
            assert (answer == 403) == (role.rank < Role.LEAD.rank), (role, status)


def test_a_reviewer_puts_a_tag_on_and_a_lead_alone_makes_a_new_one(studio):
    url = _url("characters/<str:character_id>/sessions/<str:session_id>/tags/", studio["ids"])
    for role, user in studio["users"].items():
        existing = _status(user, "post", url, {"data": {"name": "needs-vo"}})
        new = _status(user, "post", url, {"data": {"name": "new-take"}})
        assert (existing == 403) == (role.rank < Role.REVIEWER.rank), (role, existing)
        assert (new == 403) == (role.rank < Role.LEAD.rank), (role, new)


def test_a_refusal_names_the_role_it_needs():
    assert roles.refusal(Action.MANAGE_TAGS) == (
        "Creating, deleting and bulk-applying tags needs the Lead role or above."
    )


@pytest.fixture
def studio(sandbox) -> dict[str, Any]:
    """A team whose admin holds the key; a lead, a reviewer and a viewer hold none; an outsider
    of another team; and a member who was removed."""
    admin = make_user("admin")
    team = Team.objects.create(name="Starfall")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    key = make_key(admin, team=team)
    character = make_character(admin, key)
    session = make_session(character, transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", "Hello?"), ("Character", "Who goes there?"))
    line = session.lines.get(text="Who goes there?")
    users = {role: make_member(team, role.value, role) for role in Role if role != Role.ADMIN}
    users[Role.ADMIN] = admin
    removed = make_member(team, "removed", Role.LEAD)
    teams.remove_member(Membership.objects.get(user=removed), Membership.objects.get(user=admin))
    outsider = make_user("outsider")
    teams.personal_team(outsider)
    invitation, _ = teams.invite(team, Role.VIEWER, Membership.objects.get(user=admin))
    # A sync waiting for a worker, for the URLs that name the character's running sync.
    sync.claim(character, admin)
    # A queue assigned to every role, so that only the role decides what each may do in it.
    queue = Queue.objects.create(team=team, name="Week 40")
    queue.reviewers.set(users.values())
    queue.characters.add(character)
    item = QueueItem.objects.create(queue=queue, session=session, position=1)
    ids = {
        "team_id": team.pk,
        "character_id": character.character_id,
        "session_id": session.session_id,
        "line_id": line.pk,
        "flag_id": make_flag(line, admin).pk,
        "tag_id": make_tag(character).pk,
        "pk": key.pk,
        "member_id": Membership.objects.get(user=users[Role.VIEWER]).pk,
        "invitation_id": invitation.pk,
        "queue_id": queue.pk,
        "item_id": item.pk,
    }
    return {"users": users, "removed": removed, "outsider": outsider, "ids": ids}


def _url(route: str, ids: dict[str, Any]) -> str:
    path = route
    for name, value in ids.items():
        for converter in ("int", "str"):
            path = path.replace(f"<{converter}:{name}>", str(value))
    assert "<" not in path, f"no value for {path}"
    return "/" + path


def _status(user: Any, method: str, url: str, headers: dict[str, Any]) -> int:
    """The answer to one request; whatever it changed is undone, so each request of a test
    meets the same store."""
    client = Client()
    client.force_login(user)
    with transaction.atomic():
        status = getattr(client, method)(url, **headers).status_code
        transaction.set_rollback(True)
    # The cache is not rolled back: what it kept of the undone rows (whose ids PostgreSQL
    # will not give again) goes with them.
    cache.clear()
    return status


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "pattern"), PAGE_URLS, ids=[p.name for _, p in PAGE_URLS])
def test_each_role_gets_what_the_table_gives_it(studio, route, pattern, method):
    url = _url(route, studio["ids"])
    needed = TABLE[pattern.name][method == "post"]
    wrong = {}
    for role, user in studio["users"].items():
        for shape, headers in (("page", {}), ("htmx", HTMX)):
            status = _status(user, method, url, headers)
            allowed = roles.allows(role, needed)
            if (status == 403) == allowed or status == 404:
                wrong[(role.value, shape)] = status
    assert wrong == {}, f"{method.upper()} {url} needs {needed.value}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "pattern"), SCOPED, ids=[p.name for _, p in SCOPED])
def test_an_outsider_and_a_removed_member_get_a_404(studio, route, pattern, method):
    url = _url(route, studio["ids"])
    for user in (studio["outsider"], studio["removed"]):
        for headers in ({}, HTMX):
            assert _status(user, method, url, headers) == 404, (user.username, url)
