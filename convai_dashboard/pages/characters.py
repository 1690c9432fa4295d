"""The characters page: the characters a user holds, and adding, importing and removing them.

Adding and importing ask Convai (accounts.checks); only its answer grants access.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from convai_dashboard.accounts import checks
from convai_dashboard.accounts.models import ApiKey, CharacterAccess
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.pages.forms import CharacterForm, ImportCharactersForm
from convai_dashboard.pages.htmx import HtmxHttpRequest


def _characters_page(
    request: HtmxHttpRequest,
    add_form: CharacterForm | None = None,
    import_form: ImportCharactersForm | None = None,
    status: int = 200,
) -> HttpResponse:
    accesses = list(CharacterAccess.objects.for_user(request.user).select_related("api_key"))
    histories = ConvaiCharacter.objects.filter(
        character_id__in=[access.character_id for access in accesses if access.is_active]
    ).in_bulk(field_name="character_id")
    context = {
        # Each access with its history: None until the history's first page is opened.
        "holdings": [(access, histories.get(access.character_id)) for access in accesses],
        "has_keys": ApiKey.objects.for_user(request.user).exists(),
        "add_form": add_form or CharacterForm(owner=request.user, prefix="add"),
        "import_form": import_form or ImportCharactersForm(owner=request.user, prefix="import"),
    }
    return render(request, "accounts/characters.html", context, status=status)


@require_GET
def characters(request: HtmxHttpRequest) -> HttpResponse:
    return _characters_page(request)


@require_POST
def character_add(request: HtmxHttpRequest) -> HttpResponse:
    form = CharacterForm(request.POST, owner=request.user, prefix="add")
    if not form.is_valid():
        return _characters_page(request, add_form=form, status=400)
    key, character_id = form.cleaned_data["api_key"], form.cleaned_data["character_id"]
    granted = checks.add_character(request.user, key, character_id)
    if granted.access is None:
        form.add_error(granted.field, granted.message)
        return _characters_page(request, add_form=form, status=400)
    if granted.note:
        messages.warning(request, f"{granted.message} {granted.note}")
    else:
        messages.success(request, granted.message)
    return redirect("character", character_id=granted.access.character_id)


@require_POST
def characters_import(request: HtmxHttpRequest) -> HttpResponse:
    form = ImportCharactersForm(request.POST, owner=request.user, prefix="import")
    if not form.is_valid():
        return _characters_page(request, import_form=form, status=400)
    imported = checks.import_characters(request.user, form.cleaned_data["api_key"])
    if not imported.ok:
        form.add_error(None, imported.message)
        return _characters_page(request, import_form=form, status=400)
    messages.success(request, imported.message)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def character_remove(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    # A suspended access can be removed too: it is the user's own row.
    access = get_object_or_404(
        CharacterAccess.objects.for_user(request.user), character_id=character_id
    )
    if request.method == "POST":
        access.delete()
        messages.success(
            request, f"{access.display_name} removed from your characters; its history is kept."
        )
        return redirect("home")
    history = ConvaiCharacter.objects.filter(character_id=character_id).first()
    context = {
        "access": access,
        "n_sessions": history.session_count if history else 0,
        "other_holders": CharacterAccess.objects.active()
        .filter(character_id=character_id)
        .exclude(pk=access.pk)
        .count(),
    }
    return render(request, "accounts/character_remove.html", context)
