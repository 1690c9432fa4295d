"""The Jinja2 environment of the reading pages' hot loops says what Django's own filters and
escaping would have said, and refuses a name it does not know."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import engines
from django.utils.html import escape as django_escape
from django.utils.text import Truncator
from jinja2 import UndefinedError

from convai_dashboard.history.text import escape_html
from convai_dashboard.pages.jinja import ago, clipped
from tests.factories import make_character, make_interaction, make_session

# Every unit, singular and plural, and months of different lengths; none a second from a
# boundary, as naturaltime reads the clock a moment after the test does.
AGES = [
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(hours=23, minutes=59),
    timedelta(days=1, seconds=30),
    timedelta(days=1, minutes=1),
    timedelta(days=2, hours=1),
    timedelta(days=7),
    timedelta(days=15, hours=3),
    timedelta(days=31),
    timedelta(days=32),
    timedelta(days=365),
    timedelta(days=400, hours=5),
    timedelta(days=760),
    timedelta(days=800, seconds=59),
]


@pytest.mark.parametrize("age", AGES, ids=str)
def test_a_rows_age_is_naturaltimes(age):
    now = datetime.now(UTC)
    assert ago(now - age, now) == naturaltime(now - age)


@pytest.mark.parametrize("length", [0, 299, 300, 301, 1000])
def test_a_line_around_a_hit_is_cut_as_truncator_cuts_it(length):
    text = ("Gate 9 é " * 200)[:length]
    assert clipped(text, 300) == Truncator(text).chars(300)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks 🙏",
        "<b>🙏</b> & \u201cquotes\u201d",
        "plain",
        "é and 中文",
        "👩‍🚀 astronaut",
        "\U0001d11e clef",
    ],
)
def test_text_is_escaped_as_django_escapes_it_and_reads_the_same(text):
    escaped = escape_html(text)
    assert html.unescape(escaped) == text
    assert html.unescape(escaped) == html.unescape(django_escape(text))
    # Never wider than two bytes a character: no character beyond the Basic Multilingual Plane.
    assert max(map(ord, escaped), default=0) <= 0xFFFF
    assert "<" not in escaped and '"' not in escaped


def test_a_transcript_with_an_emoji_shows_it(owner_client, owner):
    character = make_character(owner)
    session = make_session(character, transcript_fetched_at=datetime.now(UTC))
    make_interaction(session, ("User", "Thanks 🙏"), ("Character", "You\u2019re welcome 👩‍🚀"))
    page = owner_client.get(f"/characters/{character.character_id}/sessions/{session.session_id}/")
    text = page.content.decode()
    assert "Thanks &#128591;" in text
    assert max(map(ord, text)) <= 0xFFFF
    assert "You\u2019re welcome 👩‍🚀" in html.unescape(text)


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "\"quoted\" & 'single'", "Thanks 🙏"]
)
def test_every_printed_value_is_escaped(text):
    env = engines["jinja2"].env
    printed = env.from_string('<p title="{{ t }}">{{ t }}</p>').render(t=text)
    assert "<script>" not in printed and '"quoted' not in printed
    assert html.unescape(printed) == f'<p title="{text}">{text}</p>'


def test_a_name_the_template_does_not_get_is_an_error():
    with pytest.raises(UndefinedError):
        engines["jinja2"].env.from_string("{{ missing }}").render()
