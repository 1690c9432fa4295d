"""Error reports (Django's 500 page with DEBUG off, a report mailed to admins) never carry an
API key in clear: not from the form that posts it, nor from the variables of the code that
holds it, the client's, requests' and urllib3's below it included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from convai_dashboard.accounts import checks, crypto
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY
from tests.factories import make_key

pytestmark = pytest.mark.django_db

HIDDEN = SafeExceptionReporterFilter.cleansed_substitute
SECRET = "studio-key-that-must-never-be-in-a-report-5a1f"
# Not a URL: whatever uses it fails at once, deep below the code that holds a key, with an
# error that does not itself quote the key.
NOT_A_URL = 8765


def report(request, exc_type, exc_value, tb) -> tuple[str, dict[str, list]]:
    """The report as a page (it shows each frame's variables), and those variables by the
    function of each frame."""
    reporter = ExceptionReporter(request, exc_type, exc_value, tb)
    frames = reporter.get_traceback_data()["frames"]
    return reporter.get_traceback_html(), {frame["function"]: frame["vars"] for frame in frames}


@pytest.mark.parametrize("url", ["/keys/", "/teams/{team}/keys/{pk}/edit/"])
def test_the_posted_key_is_hidden_from_error_reports(owner_client, owner, sandbox, url):
    key = make_key(owner, label="Old")
    response = owner_client.post(
        url.format(pk=key.pk, team=key.team_id), {"label": "Studio", "key": DEMO_KEY}
    )
    assert response.status_code == 302
    posted = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert (posted["key"], posted["label"]) == (HIDDEN, "Studio")


def test_a_page_that_fails_while_using_a_key_reports_no_key(owner, sandbox, settings):
    key = make_key(owner, secret=SECRET)
    settings.CONVAI_API_URL = NOT_A_URL
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    response = client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": ASTRONAUT_ID}
    )
    assert response.status_code == 500
    page, variables = report(response.wsgi_request, *response.exc_info)
    assert "AttributeError" in page and SECRET not in page
    # The view's own variables are shown; those of the code that held the key are not.
    assert dict(variables["character_add"])["character_id"] == repr(ASTRONAUT_ID)
    assert dict(variables["add_character"])["character_id"] == repr(HIDDEN)
    assert set(dict(variables["__init__"]).values()) == {repr(HIDDEN)}, "the client's too"


@pytest.mark.parametrize(
    "use",
    [
        lambda: checks.check_key(SECRET, base_url=NOT_A_URL),
        lambda: crypto.encrypt(SECRET.encode()),  # a key in bytes: a mistake of ours
    ],
    ids=["checking a key with Convai", "encrypting a key"],
)
def test_code_that_fails_holding_a_key_reports_none_of_its_variables(use):
    with pytest.raises(AttributeError) as caught:
        use()
    page, variables = report(None, caught.type, caught.value, caught.tb)
    assert SECRET not in page
    held_it = [f for f in variables if not f.startswith("test_") and f != "<lambda>"]
    assert held_it, "the report reaches the code that held the key"
    for function in held_it:
        assert {value for _, value in variables[function]} == {repr(HIDDEN)}, function
