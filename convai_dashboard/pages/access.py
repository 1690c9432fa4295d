"""The history a page may show: that of a character the signed-in user holds, or a 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.history.models import ChatSession, ConvaiCharacter
from convai_dashboard.pages.htmx import HtmxHttpRequest


def held_character(request: HtmxHttpRequest, character_id: str) -> ConvaiCharacter:
    # URLs name characters by Convai's ID, so a link means the same history to every holder;
    # anyone else, a suspended holder too, gets a 404.
    try:
        return ConvaiCharacter.objects.held_by(request.user, character_id)
    except CharacterAccess.DoesNotExist:
        raise Http404("No character with that ID among yours.") from None


def held_session(request: HtmxHttpRequest, character_id: str, session_id: str) -> ChatSession:
    """A session of a character the user holds, with its character and reviewer loaded."""
    character = held_character(request, character_id)
    return get_object_or_404(
        character.sessions.select_related("character", "reviewed_by"), session_id=session_id
    )
