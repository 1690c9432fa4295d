"""The deployed static storage gives each name the URL WhiteNoise's manifest gives it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from convai_dashboard.staticfiles import ManifestStorage


@pytest.fixture
def collected(tmp_path):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "convai_dashboard.staticfiles.ManifestStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield tmp_path


@pytest.mark.parametrize("name", ["js/core.js", "css/app.css", "vendor/htmx-2.0.10.min.js"])
def test_a_url_is_the_manifests_and_stays_so(collected, name):
    ours, whitenoise = ManifestStorage(), CompressedManifestStaticFilesStorage()
    first = ours.url(name)
    assert first == whitenoise.url(name) and first != f"/static/{name}"  # hashed
    assert ours.url(name) == first


def test_a_name_not_in_the_manifest_is_still_an_error(collected):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        ManifestStorage().url("js/no-such-file.js")
