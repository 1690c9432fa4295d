from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from convai_dashboard.accounts.forms import ApiKeyForm, CharacterForm, ImportCharactersForm
from convai_dashboard.accounts.models import ApiKey, Character
from convai_dashboard.convai import CharacterNotAccessible, ConvaiError, InvalidApiKey
from convai_dashboard.history import fetch
from convai_dashboard.http import HtmxHttpRequest


def _save_key(key: ApiKey, form: ApiKeyForm) -> ApiKey | None:
    """Checks a new secret with Convai and saves the key; None (with the form's errors set)
    when Convai refuses the key."""
    secret = form.cleaned_data["key"]
    key.label = form.cleaned_data["label"]
    if secret:
        try:
            fetch.set_checked_secret(key, secret)
        except InvalidApiKey as error:
            form.add_error("key", error.user_message)
            return None
    key.save()
    return key


@require_http_methods(["GET", "POST"])
def keys(request: HtmxHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        key = _save_key(ApiKey(owner=request.user), form)
        if key is not None:
            _report_key(request, key, "added")
            return redirect("keys")
    context = {
        "form": form,
        "keys": ApiKey.objects.for_user(request.user).annotate(n_characters=Count("characters")),
    }
    return render(request, "accounts/keys.html", context, status=400 if form.errors else 200)


def _report_key(request: HtmxHttpRequest, key: ApiKey, done: str) -> None:
    if key.verification_note:
        messages.warning(request, f"Key “{key.label}” {done}. {key.verification_note}")
    else:
        messages.success(request, f"Key “{key.label}” {done} and verified with Convai.")


@require_http_methods(["GET", "POST"])
def key_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey.objects.for_user(request.user), pk=pk)
    form = ApiKeyForm(
        request.POST or None, owner=request.user, instance=key, initial={"label": key.label}
    )
    if request.method == "POST" and form.is_valid() and _save_key(key, form) is not None:
        _report_key(request, key, "saved")
        return redirect("keys")
    context = {"form": form, "key": key}
    return render(request, "accounts/key_edit.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def key_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey.objects.for_user(request.user), pk=pk)
    if request.method == "POST":
        key.delete()
        messages.success(request, f"Key “{key.label}” deleted.")
        return redirect("keys")
    context = {"key": key, "characters": key.characters.all()}
    return render(request, "accounts/key_delete.html", context)


def _characters_page(
    request: HtmxHttpRequest,
    add_form: CharacterForm | None = None,
    import_form: ImportCharactersForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "characters": Character.objects.for_user(request.user)
        .select_related("api_key")
        .annotate(n_sessions=Count("sessions")),
        "has_keys": ApiKey.objects.for_user(request.user).exists(),
        "add_form": add_form or CharacterForm(owner=request.user),
        "import_form": import_form or ImportCharactersForm(owner=request.user),
    }
    return render(request, "accounts/characters.html", context, status=status)


@require_GET
def characters(request: HtmxHttpRequest) -> HttpResponse:
    return _characters_page(request)


@require_POST
def character_add(request: HtmxHttpRequest) -> HttpResponse:
    form = CharacterForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _characters_page(request, add_form=form, status=400)
    key, character_id = form.cleaned_data["api_key"], form.cleaned_data["character_id"]
    try:
        found = fetch.look_up_character(key, character_id)
    except InvalidApiKey as error:
        form.add_error("api_key", f"Key “{key.label}”: {error.user_message}")
    except CharacterNotAccessible as error:
        form.add_error("character_id", error.user_message)
    except ConvaiError as error:
        form.add_error(None, f"Nothing was added. {error.user_message}")
    else:
        character, created = Character.objects.update_or_create(
            owner=request.user,
            character_id=character_id,
            defaults={"api_key": key, "name": found.name},
        )
        done = "added" if created else f"now uses key “{key.label}”"
        text = f"{character.display_name} {done}."
        if found.note:
            messages.warning(request, f"{text} {found.note}")
        else:
            messages.success(request, text)
        return redirect("character", character_id=character.character_id)
    return _characters_page(request, add_form=form, status=400)


@require_POST
def characters_import(request: HtmxHttpRequest) -> HttpResponse:
    form = ImportCharactersForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _characters_page(request, import_form=form, status=400)
    key = form.cleaned_data["api_key"]
    try:
        added, known = fetch.import_characters(key)
    except ConvaiError as error:
        form.add_error(None, f"Nothing was imported. {error.user_message}")
        return _characters_page(request, import_form=form, status=400)
    messages.success(
        request, f"Imported from “{key.label}”: {added} new character(s), {known} already here."
    )
    return redirect("home")


@require_http_methods(["GET", "POST"])
def character_remove(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = get_object_or_404(
        Character.objects.for_user(request.user), character_id=character_id
    )
    if request.method == "POST":
        character.delete()
        messages.success(request, f"{character.display_name} and its stored history removed.")
        return redirect("home")
    context = {"character": character, "n_sessions": character.sessions.count()}
    return render(request, "accounts/character_remove.html", context)
