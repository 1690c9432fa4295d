"""A URL reversed once for a page is the one reverse() makes for each row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from convai_dashboard.pages.links import url_maker

ODD = ["plain", "with space", "a&b?c#d", "ü%", "'quoted'", "e3aff557-61db-4c33"]


@pytest.mark.parametrize("session_id", ODD)
def test_a_session_url_is_the_one_reverse_makes(session_id):
    assert url_maker("session", "char-1")(session_id) == reverse(
        "session", args=["char-1", session_id]
    )


@pytest.mark.parametrize("line", [1, 42, 987654321])
def test_a_line_url_takes_an_int_as_reverse_does(line):
    made = url_maker("flag_new", "char-1", "s 1")(line)
    assert made == reverse("flag_new", args=["char-1", "s 1", line])
