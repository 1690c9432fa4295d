"""The characters page: the characters each of a user's teams holds, and adding, importing
and removing them, which a team's admins do.

Adding and importing ask Convai (accounts.checks); only its answer grants access.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from convai_dashboard.accounts import checks, teams
from convai_dashboard.accounts.models import ApiKey, CharacterAccess, Membership, Role
from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.pages.access import needs, team_membership
from convai_dashboard.pages.forms import CharacterForm, ImportCharactersForm
from convai_dashboard.pages.htmx import HtmxHttpRequest


def _characters_page(
    request: HtmxHttpRequest,
    add_form: CharacterForm | None = None,
    import_form: ImportCharactersForm | None = None,
    status: int = 200,
) -> HttpResponse:
    memberships = list(Membership.objects.filter(user=request.user).select_related("team"))
    accesses = list(CharacterAccess.objects.for_user(request.user).select_related("api_key"))
    histories = ConvaiCharacter.objects.filter(
        character_id__in=[access.character_id for access in accesses if access.is_active]
    ).in_bulk(field_name="character_id")
    context = {
        # Each team with its accesses, each with its history: None until its first page opens.
        "teams": [
            (
                membership,
                [
                    (access, histories.get(access.character_id))
                    for access in accesses
                    if access.team_id == membership.team_id
                ],
            )
            for membership in memberships
        ],
        "has_keys": ApiKey.objects.administered_by(request.user).exists(),
        "administers": any(membership.role == Role.ADMIN for membership in memberships),
        "add_form": add_form or CharacterForm(user=request.user, prefix="add"),
        "import_form": import_form or ImportCharactersForm(user=request.user, prefix="import"),
    }
    return render(request, "accounts/characters.html", context, status=status)


@needs(Action.READ)
@require_GET
def characters(request: HtmxHttpRequest) -> HttpResponse:
    return _characters_page(request)


@needs(Action.MANAGE_TEAM)
@require_POST
def character_add(request: HtmxHttpRequest) -> HttpResponse:
    form = CharacterForm(request.POST, user=request.user, prefix="add")
    if not form.is_valid():
        return _characters_page(request, add_form=form, status=400)
    key, character_id = form.cleaned_data["api_key"], form.cleaned_data["character_id"]
    granted = checks.add_character(key, character_id)
    if granted.access is None:
        form.add_error(granted.field, granted.message)
        return _characters_page(request, add_form=form, status=400)
    teams.audit(key.team, request.user, f"added the character {granted.access.display_name}")
    if granted.note:
        messages.warning(request, f"{granted.message} {granted.note}")
    else:
        messages.success(request, granted.message)
    return redirect("character", character_id=granted.access.character_id)


@needs(Action.MANAGE_TEAM)
@require_POST
def characters_import(request: HtmxHttpRequest) -> HttpResponse:
    form = ImportCharactersForm(request.POST, user=request.user, prefix="import")
    if not form.is_valid():
        return _characters_page(request, import_form=form, status=400)
    imported = checks.import_characters(form.cleaned_data["api_key"])
    if not imported.ok:
        form.add_error(None, imported.message)
        return _characters_page(request, import_form=form, status=400)
    key = form.cleaned_data["api_key"]
    teams.audit(key.team, request.user, imported.message)
    messages.success(request, imported.message)
    return redirect("home")


@needs(Action.MANAGE_TEAM)
@require_http_methods(["GET", "POST"])
def character_remove(request: HtmxHttpRequest, team_id: int, character_id: str) -> HttpResponse:
    # A suspended access can be removed too: it is still the team's own row.
    membership = team_membership(request, team_id)
    access = get_object_or_404(membership.team.accesses, character_id=character_id)
    if request.method == "POST":
        access.delete()
        teams.audit(membership.team, request.user, f"removed the character {access.display_name}")
        messages.success(
            request,
            f"{access.display_name} removed from {membership.team}'s characters; "
            "its history is kept.",
        )
        return redirect("home")
    history = ConvaiCharacter.objects.filter(character_id=character_id).first()
    context = {
        "access": access,
        "team": membership.team,
        "n_sessions": history.session_count if history else 0,
        "other_holders": CharacterAccess.objects.active()
        .filter(character_id=character_id)
        .exclude(pk=access.pk)
        .count(),
    }
    return render(request, "accounts/character_remove.html", context)
