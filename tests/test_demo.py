"""The demo: `make demo` seeds a user, the sandbox's key and three characters, with every
transcript stored, so search works from the first minute."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from convai_dashboard.history.models import ChatSession
from convai_dashboard.history.search import search_lines

pytestmark = pytest.mark.django_db


def test_the_demo_stores_every_transcript_and_search_finds_them(sandbox):
    out = StringIO()
    call_command("seed_demo", "--convai-url", sandbox.url, stdout=out)
    user = User.objects.get(username="demo")
    assert user.check_password("demo")
    assert (
        "Demo logins, team Starfall Studio: demo / demo (Admin), lee / demo (Lead)"
        in out.getvalue()
    )
    assert "DK Metcalf: 79 sessions, 79 transcripts stored (done)" in out.getvalue()
    assert not ChatSession.objects.filter(transcript_fetched_at__isnull=True).exists()
    assert search_lines(user, "asteroid").lines


def test_the_demo_can_seed_only_the_lists(sandbox):
    out = StringIO()
    call_command("seed_demo", "--lists-only", "--convai-url", sandbox.url, stdout=out)
    assert "DK Metcalf: 79 sessions listed" in out.getvalue()
    assert not ChatSession.objects.exclude(transcript_fetched_at__isnull=True).exists()
