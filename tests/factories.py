"""Plain factories: each makes one row the way the store would, with defaults a test can
override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from convai_dashboard.accounts.models import ApiKey, CharacterAccess, Membership, Role, Team
from convai_dashboard.accounts.teams import personal_team
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Interaction, Line
from convai_dashboard.history.text import fold
from convai_dashboard.review.models import (
    Flag,
    FlagCategory,
    Note,
    SessionTag,
    Tag,
    TagColour,
)
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY


def make_user(username: str = "owner", **kwargs: Any) -> User:
    return User.objects.create_user(username=username, password="pw-for-tests-only", **kwargs)


def make_key(owner: User, secret: str = DEMO_KEY, **kwargs: Any) -> ApiKey:
    """A key of the owner's personal team (or of `team`), which they administer."""
    kwargs.setdefault("label", "Studio")
    if "team" not in kwargs:
        kwargs["team"] = personal_team(owner)
    key = ApiKey(**kwargs)
    key.set_secret(secret)
    key.save()
    return key


def make_access(owner: User, api_key: ApiKey | None = None, **kwargs: Any) -> CharacterAccess:
    """An access as Convai's confirmation leaves it (pass suspended_at for a refused one), of
    the key's team, or else of the owner's personal team (or of `team`)."""
    kwargs.setdefault("character_id", ASTRONAUT_ID)
    kwargs.setdefault("name", "Test character")
    kwargs.setdefault("confirmed_at", timezone.now())
    if "team" not in kwargs:
        kwargs["team"] = api_key.team if api_key else personal_team(owner)
    return CharacterAccess.objects.create(api_key=api_key, **kwargs)


def make_character(owner: User, api_key: ApiKey | None = None, **kwargs: Any) -> ConvaiCharacter:
    """A character's history, held by `owner`'s personal team, or the key's (the history is
    made once; each call for another owner adds that team's access to the same history)."""
    kwargs.setdefault("character_id", ASTRONAUT_ID)
    kwargs.setdefault("name", "Test character")
    make_access(owner, api_key, character_id=kwargs["character_id"], name=kwargs["name"])
    character, _ = ConvaiCharacter.objects.get_or_create(
        character_id=kwargs.pop("character_id"), defaults=kwargs
    )
    return character


def make_session(character: ConvaiCharacter, **kwargs: Any) -> ChatSession:
    kwargs.setdefault("session_id", f"session-{ChatSession.objects.count() + 1}")
    kwargs.setdefault("started_at", datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    session = ChatSession.objects.create(character=character, **kwargs)
    # As the store does when it stores a session list.
    ConvaiCharacter.objects.filter(pk=character.pk).update(session_count=F("session_count") + 1)
    character.refresh_from_db(fields=["session_count"])
    return session


def make_interaction(session: ChatSession, *turns: tuple[str, str], **kwargs: Any) -> Interaction:
    kwargs.setdefault(
        "occurred_at", session.started_at + timedelta(seconds=session.interactions.count())
    )
    interaction = Interaction.objects.create(session=session, **kwargs)
    for position, (speaker, text) in enumerate(turns):
        Line.objects.create(
            interaction=interaction,
            session=session,
            character_id=session.character_id,
            position=position,
            speaker=speaker,
            text=text,
            search_text=fold(text),
        )
    return interaction


def make_flag(line: Line, author: User | None = None, **kwargs: Any) -> Flag:
    kwargs.setdefault("category", FlagCategory.TONE)
    kwargs.setdefault("comment", "Too stiff for him.")
    return Flag.objects.create(
        line=line,
        session_id=line.session_id,
        character_id=line.character_id,
        author=author,
        updated_by=author,
        **kwargs,
    )


def make_tag(character: ConvaiCharacter, name: str = "needs-vo", **kwargs: Any) -> Tag:
    kwargs.setdefault("colour", TagColour.BLUE)
    return Tag.objects.create(character=character, name=name, **kwargs)


def put_tag(session: ChatSession, tag: Tag, user: User | None = None) -> SessionTag:
    return SessionTag.objects.create(session=session, tag=tag, added_by=user)


def make_note(session: ChatSession, author: User | None = None, **kwargs: Any) -> Note:
    kwargs.setdefault("text", "Check the ending with the lead writer.")
    return Note.objects.create(session=session, author=author, **kwargs)


def make_member(team: Team, username: str, role: Role) -> User:
    """A user in `team` with `role`, holding no key of their own."""
    user = make_user(username)
    Membership.objects.create(team=team, user=user, role=role)
    return user
