"""API keys at rest: encrypted, rotatable, and never readable without an encryption key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from convai_dashboard.accounts.crypto import UndecryptableKey
from convai_dashboard.accounts.models import ApiKey
from tests.factories import make_key

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_key_is_stored_encrypted_with_only_its_last_four_in_clear(owner, settings):
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [OLD]
    key = make_key(owner, secret="abcd-efgh-1234-wxyz")
    raw = ApiKey.objects.values("encrypted_key", "last_four").get(pk=key.pk)
    assert "abcd" not in raw["encrypted_key"] and raw["last_four"] == "wxyz"
    assert Fernet(OLD.encode()).decrypt(raw["encrypted_key"].encode()) == b"abcd-efgh-1234-wxyz"


def test_keys_are_rotated_to_the_newest_encryption_key(owner, settings):
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [OLD]
    key = make_key(owner, secret="rotate-me-0001")
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [NEW, OLD]
    assert ApiKey.objects.get(pk=key.pk).secret() == "rotate-me-0001"
    call_command("rotate_api_keys", stdout=None)
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [NEW]
    assert ApiKey.objects.get(pk=key.pk).secret() == "rotate-me-0001"


def test_a_key_without_its_encryption_key_says_what_to_do(owner, settings):
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [OLD]
    key = make_key(owner, secret="lost-key-0001")
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(UndecryptableKey, match="Enter the API key again"):
        ApiKey.objects.get(pk=key.pk).secret()


def test_rotation_names_each_key_it_cannot_decrypt_and_rotates_the_rest(owner, settings, capsys):
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [OLD]
    lost = make_key(owner, secret="lost-key-0002", label="Lost")
    settings.CONVAI_KEY_ENCRYPTION_KEYS = [NEW]
    kept = make_key(owner, secret="kept-key-0003", label="Kept")
    before = ApiKey.objects.get(pk=lost.pk).encrypted_key
    with pytest.raises(CommandError) as caught:
        call_command("rotate_api_keys")
    message = str(caught.value)
    assert "1 API key(s) cannot be decrypted" in message
    assert f"“Lost” of team owner (personal) (id {lost.pk})" in message
    assert "lost-key-0002" not in message + capsys.readouterr().out
    assert ApiKey.objects.get(pk=lost.pk).encrypted_key == before, "left as it was"
    assert ApiKey.objects.get(pk=kept.pk).secret() == "kept-key-0003"
