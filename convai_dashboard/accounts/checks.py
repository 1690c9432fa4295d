"""What Convai says about a user's keys and characters, and what that grants.

A key is checked before it is saved. Access to a character is granted only when Convai answers
for it under the user's own key, by a real call: its chat history (or, for an import, the key's
own list of characters). Nothing here touches the history itself; a refusal found later, by a
refresh or a sync, suspends an access through `suspend`.

Each function that a page calls returns what to tell the user; none raises a Convai error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from convai_dashboard.accounts import crypto
from convai_dashboard.accounts.models import ApiKey, CharacterAccess
from convai_dashboard.convai import (
    CharacterNotAccessible,
    ConvaiError,
    ConvaiTimeout,
    ConvaiUnavailable,
    InvalidApiKey,
    RateLimited,
    RequestRejected,
    UnexpectedResponse,
)
from convai_dashboard.convai.configured import client_for, page_limits
from convai_dashboard.convai.records import left_out

# Functions that hold a key in clear are marked sensitive, so that an error report (Django's
# 500 page, a mailed report) shows none of their variables: with no names given, none of
# those of the frames below either, where the client, requests and urllib3 hold the key in
# their own variables.

# --- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCheck:
    # Convai accepted the key: it listed the key's characters, or refused only that endpoint
    # for the key's plan. False when it could not be asked, or answered anything else.
    verified: bool
    note: str  # why the key is not fully proven, if it is not; empty otherwise


@sensitive_variables()
def check_key(secret: str, *, base_url: str | None = None) -> KeyCheck:
    """Checks a key against Convai before it is saved. Raises InvalidApiKey for a key Convai
    refuses."""
    with client_for(secret, base_url=base_url, **page_limits()) as client:
        try:
            client.list_characters()
        except InvalidApiKey:
            raise
        except (ConvaiUnavailable, RateLimited) as error:
            return KeyCheck(False, f"Not verified yet: {error.user_message}")
        except RequestRejected as error:
            if error.status == 403:
                # The Character API is on a lower plan tier than Chat History: Convai knew
                # the key and refused it only this endpoint, which must not block a key that
                # can still read history.
                return KeyCheck(
                    True,
                    "Convai would not list this key's characters "
                    f"({error.convai_message or error}).",
                )
            return KeyCheck(False, f"Not verified: {error.user_message}")
        except UnexpectedResponse as error:
            # An answer that is not Convai's (a proxy's page, a redirect, another shape) says
            # nothing about the key.
            return KeyCheck(False, f"Not verified: {error.user_message}")
    return KeyCheck(True, "")


@sensitive_variables()
def set_checked_secret(key: ApiKey, secret: str, *, base_url: str | None = None) -> None:
    """Checks a secret with Convai and sets it on the key (unsaved) with what the check found.
    Raises InvalidApiKey, leaving the key as it was, when Convai refuses the secret."""
    check = check_key(secret, base_url=base_url)
    key.set_secret(secret)
    key.verification_note = check.note
    key.verified_at = timezone.now() if check.verified else None


@sensitive_variables()
def save_key(key: ApiKey, label: str, secret: str) -> str | None:
    """Saves a key with its new label and, if given, a new secret once Convai has been asked
    about it. Returns why Convai refused the secret (nothing is saved then), or None."""
    key.label = label
    if secret:
        try:
            set_checked_secret(key, secret)
        except InvalidApiKey as error:
            return error.user_message
    key.save()
    return None


def delete_key(key: ApiKey) -> int:
    """Deletes a key; the accesses it proved are suspended, not removed. Returns how many."""
    with transaction.atomic():
        suspended = suspend(
            key.accesses.active(), f"Its API key “{key.label}” was deleted: add it under a key."
        )
        key.delete()
    return suspended


# --- access to characters -------------------------------------------------------------------


# What to do when Convai was too slow for a page (CONVAI_PAGE_TIMEOUT).
_TRY_AGAIN_SOON = "A page waits for Convai only a few seconds: try again in a minute."
# Seconds below which a call that only adds a nicety is not worth making.
_SHORTEST_WAIT = 0.5


@dataclass(frozen=True)
class Granted:
    """The answer to "add this character": the access, or why there is none."""

    access: CharacterAccess | None
    message: str  # what to tell the user
    field: str | None = None  # the form field a refusal is about, if any
    note: str = ""  # what was granted without: the name, when the plan cannot read it


@sensitive_variables()
def add_character(key: ApiKey, character_id: str, *, base_url: str | None = None) -> Granted:
    """Grants (or restores) the key's team's access to a character once Convai has answered
    for its chat history under this key. A refusal, or a Convai that cannot be asked, grants
    nothing."""
    limits = page_limits()
    started = time.monotonic()
    try:
        secret = key.secret()
        with client_for(secret, base_url=base_url, **limits) as client:
            # The proof is the history itself answering: limit 1 costs Convai next to nothing.
            client.list_sessions(character_id, limit=1)
        # The name is a nicety (pages fall back to the ID): it gets what is left of the wait a
        # page allows, so a slow Convai cannot make adding take two page timeouts.
        left = limits["read_timeout"] - (time.monotonic() - started)
        name, note = _name_of(secret, character_id, base_url, {**limits, "read_timeout": left})
    except crypto.UndecryptableKey as error:
        return Granted(None, str(error), field="api_key")
    except InvalidApiKey as error:
        return Granted(None, f"Key “{key.label}”: {error.user_message}", field="api_key")
    except CharacterNotAccessible as error:
        return Granted(None, error.user_message, field="character_id")
    except ConvaiTimeout as error:
        return Granted(
            None,
            f"Nothing was added: {error} Access is granted only once Convai answers for the "
            f"character. {_TRY_AGAIN_SOON}",
        )
    except ConvaiError as error:
        return Granted(None, f"Nothing was added. {error.user_message}")
    access, created = grant(key, character_id, name)
    done = "added" if created else f"confirmed with key “{key.label}”"
    return Granted(access, f"{access.display_name} {done}.", note=note)


def _name_of(
    secret: str, character_id: str, base_url: str | None, limits: dict[str, Any]
) -> tuple[str, str]:
    """The character's name, if the key's plan lets Convai tell it in time; and a note if not."""
    if limits["read_timeout"] < _SHORTEST_WAIT:
        return "", "Name not asked for: Convai was slow to answer."
    try:
        with client_for(secret, base_url=base_url, **limits) as client:
            return client.get_character(character_id).name, ""
    except ConvaiError as error:
        # /character/get is on another plan tier, or broken; the history answered already.
        return "", f"Name unavailable: {error.convai_message or error}."


def grant(key: ApiKey, character_id: str, name: str) -> tuple[CharacterAccess, bool]:
    """Records that Convai just accepted this key for the character, for the key's team. Only
    for callers that have that answer in hand."""
    defaults: dict[str, Any] = {
        "api_key": key,
        "confirmed_at": timezone.now(),
        "suspended_at": None,
        "suspension_reason": "",
    }
    if name:
        defaults["name"] = name
    return CharacterAccess.objects.update_or_create(
        team_id=key.team_id, character_id=character_id, defaults=defaults
    )


@dataclass(frozen=True)
class Imported:
    added: int
    known: int
    message: str
    ok: bool


@sensitive_variables()
def import_characters(key: ApiKey, *, base_url: str | None = None) -> Imported:
    """Grants access to every character of the key's account, as Convai lists them."""
    try:
        with client_for(key.secret(), base_url=base_url, **page_limits()) as client:
            found = client.list_characters()
    except crypto.UndecryptableKey as error:
        return Imported(0, 0, str(error), ok=False)
    except ConvaiTimeout as error:
        return Imported(0, 0, f"Nothing was imported: {error} {_TRY_AGAIN_SOON}", ok=False)
    except ConvaiError as error:
        return Imported(0, 0, f"Nothing was imported. {error.user_message}", ok=False)
    added = sum(grant(key, info.character_id, info.name)[1] for info in found)
    known = len(found) - added
    message = f"Imported from “{key.label}”: {added} new character(s), {known} already held."
    if found.skipped:
        message += f" {left_out(found.skipped)}"
    return Imported(added, known, message, ok=True)


def suspend(accesses: Any, reason: str) -> int:
    """Suspends accesses (a queryset) whose key Convai refused; returns how many. They come back
    when `add_character` confirms the character again under a working key."""
    return accesses.filter(suspended_at__isnull=True).update(
        suspended_at=timezone.now(), suspension_reason=reason
    )
