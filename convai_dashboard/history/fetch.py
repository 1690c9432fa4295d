"""Asking Convai for a character's history, with the key of one of its holders, and handing the
answers to store.py.

A character's history is shared, so any holder's key that Convai accepts for it will do: the
keys of the asking user's teams first, then the others, most recently confirmed first. A key
Convai refuses for the character suspends its holder's access (accounts.checks.suspend) and the next
key is tried. When Convai cannot be reached at all, no other key would help: the failure is
remembered on the character for the pages' offline banner.

The functions at the end are the ones pages call: each returns what to tell the user.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from convai_dashboard.accounts import checks, crypto
from convai_dashboard.accounts.models import CharacterAccess, Membership
from convai_dashboard.convai import (
    CharacterNotAccessible,
    ConvaiClient,
    ConvaiError,
    ConvaiTimeout,
    ConvaiUnavailable,
    InvalidApiKey,
    RateLimited,
    UnexpectedResponse,
)
from convai_dashboard.convai.configured import client_for, page_limits
from convai_dashboard.convai.records import left_out
from convai_dashboard.history import store
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, ConvaiFailure

logger = logging.getLogger(__name__)

# What Convai says when a key may not read a character: its holder loses access.
REFUSALS = (InvalidApiKey, CharacterNotAccessible)


class NoWorkingKey(ConvaiError):
    advice = "A holder must add the character again under a key Convai accepts for it."


class TranscriptNotStored(ConvaiError):
    """Convai answered, but the database would not store the transcript."""

    advice = "The rest of the history is unaffected; if it persists, report the session's ID."


def holders(character: ConvaiCharacter, first: Any = None) -> list[CharacterAccess]:
    """Active accesses with a key, in the order their keys are tried."""
    mine = Membership.objects.filter(
        team_id=OuterRef("team_id"), user_id=first.pk if first is not None else 0
    )
    return list(
        CharacterAccess.objects.active()
        .filter(character_id=character.character_id, api_key__isnull=False)
        .select_related("api_key", "team")
        .annotate(mine=Exists(mine))
        .order_by("-mine", "-confirmed_at", "pk")
    )


def clients_of_holders(
    character: ConvaiCharacter, first: Any = None, *, base_url: str | None = None, **options: Any
) -> Iterator[tuple[CharacterAccess, ConvaiClient]]:
    """A client for each holder's key in turn; the caller stops at the first that works and
    reports a refusal with `refused`. Keys this deployment cannot decrypt are passed over."""
    for access in holders(character, first):
        assert access.api_key is not None  # holders() has only accesses with a key
        try:
            secret = access.api_key.secret()
        except crypto.UndecryptableKey:
            continue
        with client_for(secret, base_url=base_url, **options) as client:
            yield access, client


def refused(access: CharacterAccess, error: ConvaiError) -> None:
    assert access.api_key is not None
    checks.suspend(
        CharacterAccess.objects.filter(pk=access.pk),
        f"Convai refused key “{access.api_key.label}” for this character: {error.user_message}",
    )


def no_working_key(last_refusal: ConvaiError | None) -> NoWorkingKey:
    said = f" Last refusal: {last_refusal.user_message}" if last_refusal else ""
    return NoWorkingKey(f"No holder of this character has a key Convai accepts for it.{said}")


# Error reports show none of the variables here or below: holders' keys in clear, and the
# client's copies of them.
@sensitive_variables()
def with_a_holders_key[T](
    character: ConvaiCharacter,
    first: Any,
    call: Callable[[ConvaiClient], T],
    *,
    base_url: str | None = None,
    **options: Any,
) -> T:
    last_refusal: ConvaiError | None = None
    with remembering_failure(character):
        for access, client in clients_of_holders(character, first, base_url=base_url, **options):
            try:
                return call(client)
            except REFUSALS as refusal:
                refused(access, refusal)
                last_refusal = refusal
        raise no_working_key(last_refusal)


@contextmanager
def remembering_failure(character: ConvaiCharacter) -> Iterator[None]:
    """Notes on the character why Convai could not be asked, for the pages' offline banner."""
    try:
        yield
    except ConvaiError as error:
        now, kind = timezone.now(), failure_kind(error)
        ConvaiCharacter.objects.filter(pk=character.pk).update(
            convai_error=error.user_message, convai_error_at=now, convai_error_kind=kind
        )
        character.convai_error, character.convai_error_at = error.user_message, now
        character.convai_error_kind = kind
        raise


def failure_kind(error: ConvaiError) -> ConvaiFailure:
    if isinstance(error, (NoWorkingKey, *REFUSALS)):
        return ConvaiFailure.REFUSED
    if isinstance(error, RateLimited):
        return ConvaiFailure.RATE_LIMITED
    if isinstance(error, ConvaiUnavailable):
        return ConvaiFailure.UNREACHABLE
    if isinstance(error, UnexpectedResponse):
        return ConvaiFailure.UNREADABLE
    return ConvaiFailure.ERROR


def refresh_sessions(
    character: ConvaiCharacter, first: Any = None, *, base_url: str | None = None, **options: Any
) -> store.RefreshResult:
    """Fetches and stores a character's session list. Raises ConvaiError. `options` are the
    client's (page_limits() for a page that waits on it)."""
    summaries = with_a_holders_key(
        character,
        first,
        lambda client: client.list_sessions(character.character_id),
        base_url=base_url,
        **options,
    )
    result = store.store_session_list(character, summaries)
    for skipped in summaries.skipped:
        logger.warning("Character %s: left out %s", character.character_id, skipped)
    return dataclasses.replace(result, skipped=summaries.skipped)


def fetch_transcript(session: ChatSession, first: Any = None, **options: Any) -> int:
    """Fetches and stores one transcript; returns how many interactions Convai gave."""
    character = session.character
    records = with_a_holders_key(
        character,
        first,
        lambda client: client.get_transcript(character.character_id, session.session_id),
        **options,
    )
    try:
        store.store_transcript(session, records)
    except store.NotStored as error:
        raise TranscriptNotStored(f"The transcript could not be stored: {error}.") from None
    return len(records)


# --- what pages call ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str  # what to tell the user
    # The user's own key was refused on the way, so they no longer hold the character.
    lost_access: bool = False


def _still_holds(character: ConvaiCharacter, user: Any) -> bool:
    return (
        CharacterAccess.objects.for_user(user)
        .active()
        .filter(character_id=character.character_id)
        .exists()
    )


def refresh_list(character: ConvaiCharacter, user: Any) -> Outcome:
    """Fetches the session list while the user's page waits (at most CONVAI_PAGE_TIMEOUT)."""
    try:
        result = refresh_sessions(character, user, **page_limits())
    except ConvaiError as error:
        message = error.user_message
        if isinstance(error, ConvaiTimeout):
            # A long list may take Convai longer than a page waits; a sync waits longer.
            message += " “Sync all transcripts” fetches the list in the background, waiting longer."
        return Outcome(False, message, lost_access=not _still_holds(character, user))
    parts = [f"Convai lists {result.listed} session(s)", f"{result.new} new"]
    if result.gone:
        parts.append(f"{result.gone} no longer on Convai (kept here)")
    message = "Refreshed: " + ", ".join(parts) + "."
    if result.skipped:
        message += f" {left_out(result.skipped)}"
    return Outcome(True, message, lost_access=not _still_holds(character, user))


def transcript_error(session: ChatSession, user: Any) -> str | None:
    """Fetches the transcript (again) while the user's page waits (at most CONVAI_PAGE_TIMEOUT);
    returns why that failed, if it did. What is stored stays readable either way."""
    try:
        fetch_transcript(session, user, **page_limits())
    except ConvaiError as error:
        return error.user_message
    return None
