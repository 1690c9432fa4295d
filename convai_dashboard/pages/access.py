"""What a page may show and do for its reader: the history of a character one of their teams
holds, with the role that team gives them, or a 404; an action their role lacks is a 403.

Every view says what it needs with `@needs(action)`, and the guard test in
tests/test_roles.py reads that mark from every URL, so a view without one fails it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpResponseBase
from django.shortcuts import get_object_or_404

from convai_dashboard.accounts import roles
from convai_dashboard.accounts.models import CharacterAccess, Membership, Role
from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ChatSession, ConvaiCharacter
from convai_dashboard.pages.htmx import HtmxHttpRequest

View = Callable[..., HttpResponseBase]


def needs(action: Action, *, post: Action | None = None) -> Callable[[View], View]:
    """Refuses the view to a reader whose role lacks `action` (`post`, if given, for a POST),
    in what the URL names: its team (`team_id`), its character (`character_id`), or else any
    team of theirs. Reading needs no team at all outside a character: a page of one's own (the
    characters page, a search, the backlog) shows only what one's teams hold."""
    by_method = {"GET": action, "POST": post or action}

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            wanted = by_method["POST" if request.method == "POST" else "GET"]
            role: Role | str | None
            if "team_id" in kwargs:
                role = team_membership(request, kwargs["team_id"]).role
            elif "character_id" in kwargs:
                role = held_character(request, kwargs["character_id"]).reader_role
            elif wanted is Action.READ:
                role = Role.VIEWER
            else:
                role = best_role(request)
            roles.require(role, wanted)
            return view(request, *args, **kwargs)

        guarded.needs = by_method  # type: ignore[attr-defined]
        return guarded

    return decorate


def held_character(request: HtmxHttpRequest, character_id: str) -> ConvaiCharacter:
    # URLs name characters by Convai's ID, so a link means the same history to every holder;
    # anyone else, a member of a suspended holder too, gets a 404. Asked by `needs` and by
    # the view again: kept on the request, so once a request.
    held: dict[str, ConvaiCharacter] = request.__dict__.setdefault("held_characters", {})
    if character_id not in held:
        try:
            held[character_id] = ConvaiCharacter.objects.held_by(request.user, character_id)
        except CharacterAccess.DoesNotExist:
            raise Http404("No character with that ID among your teams'.") from None
    return held[character_id]


def held_session(request: HtmxHttpRequest, character_id: str, session_id: str) -> ChatSession:
    """A session of a character the user holds, with its reviewer loaded, and the character
    as held (with the reader's role)."""
    character = held_character(request, character_id)
    session = get_object_or_404(
        character.sessions.select_related("reviewed_by"), session_id=session_id
    )
    session.character = character
    return session


def team_membership(request: HtmxHttpRequest, team_id: int) -> Membership:
    """The reader's membership of the team the URL names; a 404 to anyone not in it."""
    return get_object_or_404(
        Membership.objects.select_related("team"), team_id=team_id, user_id=request.user.pk
    )


def best_role(request: HtmxHttpRequest) -> Role | None:
    """The highest role the reader has in any team: what a page about no one team offers."""
    held = set(Membership.objects.filter(user_id=request.user.pk).values_list("role", flat=True))
    return max((Role(role) for role in held), key=lambda role: role.rank, default=None)
