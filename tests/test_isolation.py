"""Who sees what: a character's history is seen by those who hold confirmed access to it, and by
no one else. Every URL that names something a user holds is swept as holder, as a colleague who
holds the same character, as an outsider and as a holder whose access Convai suspended: in full
pages and htmx fragments, for every method."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from convai_dashboard.accounts.models import ApiKey, CharacterAccess
from convai_dashboard.history.models import ChatSession, ReviewStatus, SyncRun
from convai_dashboard.review.models import Activity, Flag, Note, SessionTag, Tag
from convai_dashboard.sandbox import DEMO_KEY, SHRINE_KEEPER_ID
from tests.factories import (
    make_access,
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_session,
    make_tag,
    make_user,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owned(owner):
    key = make_key(owner, label="Owner-only key")
    character = make_character(
        owner, key, name="Owner-only character", sessions_refreshed_at="2026-10-01T00:00Z"
    )
    session = make_session(
        character, session_id="owned-session", transcript_fetched_at="2026-10-01T00:00Z"
    )
    make_interaction(session, ("User", "secret plot"), ("Character", "spoilers"))
    line = session.lines.get(text="spoilers")
    flag = make_flag(line, owner)
    tag = make_tag(character)
    return {
        "key": key.pk,
        "team": key.team_id,
        "char": character.character_id,
        "sid": session.session_id,
        "line": line.pk,
        "flag": flag.pk,
        "tag": tag.pk,
    }


# (method, url) of every page that names something a user holds.
HISTORY_URLS = [
    ("get", "/characters/{char}/"),
    ("get", "/characters/{char}/overview/"),
    ("post", "/characters/{char}/refresh/"),
    ("get", "/characters/{char}/sessions/{sid}/"),
    ("post", "/characters/{char}/sessions/{sid}/refetch/"),
    ("post", "/characters/{char}/sync/"),
    ("get", "/characters/{char}/sync/status/"),
    ("post", "/characters/{char}/sync/cancel/"),
    # Review, and the exports.
    ("post", "/characters/{char}/sessions/{sid}/status/"),
    ("get", "/characters/{char}/sessions/{sid}/lines/{line}/flag/"),
    ("post", "/characters/{char}/sessions/{sid}/lines/{line}/flag/"),
    ("get", "/characters/{char}/sessions/{sid}/lines/{line}/report.md"),
    ("get", "/characters/{char}/flags/{flag}/"),
    ("post", "/characters/{char}/flags/{flag}/"),
    ("post", "/characters/{char}/sessions/{sid}/tags/"),
    ("post", "/characters/{char}/sessions/{sid}/tags/{tag}/remove/"),
    ("post", "/characters/{char}/sessions/{sid}/notes/"),
    ("get", "/characters/{char}/flags/"),
    ("get", "/characters/{char}/tags/"),
    ("post", "/characters/{char}/tags/"),
    ("post", "/characters/{char}/tags/apply/"),
    ("get", "/characters/{char}/tags/{tag}/delete/"),
    ("post", "/characters/{char}/tags/{tag}/delete/"),
    ("get", "/characters/{char}/sessions.csv"),
    ("get", "/characters/{char}/sessions/{sid}/export.json"),
    ("get", "/characters/{char}/sessions/{sid}/export.md"),
    ("get", "/characters/{char}/flags/export.csv"),
    ("get", "/characters/{char}/flags/rewrites.jsonl"),
]
ACCOUNT_URLS = [
    ("get", "/teams/{team}/keys/{key}/edit/"),
    ("post", "/teams/{team}/keys/{key}/edit/"),
    ("get", "/teams/{team}/keys/{key}/delete/"),
    ("post", "/teams/{team}/keys/{key}/delete/"),
    ("get", "/teams/{team}/characters/{char}/remove/"),
    ("post", "/teams/{team}/characters/{char}/remove/"),
]
OWNED_URLS = HISTORY_URLS + ACCOUNT_URLS


def _unchanged() -> None:
    assert ApiKey.objects.filter(label="Owner-only key").exists()
    assert CharacterAccess.objects.filter(team__memberships__user__username="owner").exists()
    assert ChatSession.objects.filter(review_status=ReviewStatus.UNREVIEWED).count() == 1
    assert not SyncRun.objects.exists()
    assert Flag.objects.count() == 1 and Tag.objects.count() == 1
    assert not (Activity.objects.exists() or Note.objects.exists() or SessionTag.objects.exists())


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "url"), OWNED_URLS)
def test_an_outsider_gets_a_404_and_changes_nothing(outsider_client, owned, method, url, headers):
    data = {"label": "hijack", "status": "approved", "category": "tone", "text": "x", "name": "x"}
    response = getattr(outsider_client, method)(url.format(**owned), data, **headers)
    assert response.status_code == 404
    _unchanged()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "url"), HISTORY_URLS)
def test_a_holder_whose_access_is_suspended_gets_a_404(client, owner, owned, method, url, headers):
    CharacterAccess.objects.for_user(owner).update(
        suspended_at=timezone.now(), suspension_reason="Convai refused the key."
    )
    client.force_login(owner)
    data = {"status": "approved", "category": "tone", "text": "x", "name": "x"}
    response = getattr(client, method)(url.format(**owned), data, **headers)
    assert response.status_code == 404
    _unchanged()


@pytest.mark.parametrize(("method", "url"), [u for u in OWNED_URLS if u[0] == "get"])
def test_the_owner_gets_the_page(owner_client, owned, method, url):
    assert owner_client.get(url.format(**owned), follow=True).status_code == 200


@pytest.mark.parametrize(
    "url",
    [u for m, u in OWNED_URLS if m == "get"] + ["/", "/keys/", "/search/?q=plot", "/flags/"],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_no_cache_may_keep_a_signed_in_page(owner_client, owned, url, headers):
    response = owner_client.get(url.format(**owned), **headers)
    assert response.status_code in (200, 302)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


@pytest.mark.parametrize(
    "url", ["/characters/{char}/", "/characters/{char}/sessions/{sid}/"], ids=["list", "session"]
)
def test_a_colleague_who_holds_the_character_reads_the_same_history(
    colleague_client, colleague, owned, url
):
    make_access(colleague, make_key(colleague), character_id=owned["char"])
    for headers in ({}, HTMX):
        response = colleague_client.get(url.format(**owned), **headers)
        assert response.status_code == 200
    page = colleague_client.get(f"/characters/{owned['char']}/sessions/{owned['sid']}/")
    assert "secret plot" in page.content.decode()


def test_a_colleague_cannot_touch_the_owners_keys_or_access(colleague_client, colleague, owned):
    make_access(colleague, make_key(colleague), character_id=owned["char"])
    for method, url in ACCOUNT_URLS:
        if url.startswith("/keys/"):
            response = getattr(colleague_client, method)(url.format(**owned), {"label": "x"})
            assert response.status_code == 404
    _unchanged()


def test_lists_show_only_the_users_own_things(outsider_client, owned):
    for url in ["/", "/keys/"]:
        page = outsider_client.get(url).content.decode()
        assert "Owner-only character" not in page and "Owner-only key" not in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_search_finds_nothing_of_a_character_the_user_does_not_hold(
    outsider_client, owned, headers
):
    for query in ({"q": "secret"}, {"q": "secret", "character": owned["char"]}):
        response = outsider_client.get("/search/", query, **headers)
        assert "spoilers" not in response.content.decode()
    # Naming the character is refused: it is not among the outsider's choices.
    refused = outsider_client.get("/search/", {"q": "secret", "character": owned["char"]})
    assert refused.status_code == 400


def test_search_finds_nothing_once_access_is_suspended(client, owner, owned):
    client.force_login(owner)
    assert "spoilers" in client.get("/search/", {"q": "secret"}).content.decode()
    CharacterAccess.objects.for_user(owner).update(suspended_at=timezone.now())
    assert "spoilers" not in client.get("/search/", {"q": "secret"}).content.decode()


def test_the_add_form_takes_only_the_users_own_keys(outsider_client, owned, sandbox):
    for headers in ({}, HTMX):
        response = outsider_client.post(
            "/characters/add/",
            {"add-api_key": owned["key"], "add-character_id": owned["char"]},
            **headers,
        )
        assert response.status_code == 400
    assert not CharacterAccess.objects.filter(team__memberships__user__username="outsider").exists()
    assert sandbox.requests == []


def test_the_import_form_takes_only_the_users_own_keys(outsider_client, owned, sandbox):
    for headers in ({}, HTMX):
        response = outsider_client.post(
            "/characters/import/", {"import-api_key": owned["key"]}, **headers
        )
        assert response.status_code == 400
    assert not CharacterAccess.objects.filter(team__memberships__user__username="outsider").exists()
    assert sandbox.requests == []


def test_an_outsider_cannot_reach_a_session_through_a_character_of_their_own(
    outsider_client, outsider, owned
):
    theirs = make_character(
        outsider, character_id=SHRINE_KEEPER_ID, sessions_refreshed_at="2026-10-01T00:00Z"
    )
    response = outsider_client.get(f"/characters/{theirs.character_id}/sessions/{owned['sid']}/")
    assert response.status_code == 404


@pytest.fixture
def staff_client(db) -> Client:
    """A staff user with every admin permission, but no access of their own."""
    staff = make_user("staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/history/",
        "/admin/history/chatsession/",
        "/admin/history/line/",
        "/admin/history/convaicharacter/",
        "/admin/history/syncrun/",
    ],
)
def test_history_is_not_in_the_admin(staff_client, owned, url):
    assert staff_client.get(url).status_code == 404


def test_the_admin_cannot_grant_or_restore_access(staff_client, owner, owned):
    access = CharacterAccess.objects.for_user(owner).get()
    assert staff_client.get("/admin/accounts/characteraccess/add/").status_code == 403
    staff_client.post(
        f"/admin/accounts/characteraccess/{access.pk}/change/",
        {"character_id": "another", "suspended_at": ""},
    )
    access.refresh_from_db()
    assert access.character_id == owned["char"]
    page = staff_client.get(f"/admin/accounts/characteraccess/{access.pk}/change/")
    assert page.status_code == 200 and DEMO_KEY not in page.content.decode()
