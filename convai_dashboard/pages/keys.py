"""The API keys page of a team's admins: add, edit (a new secret is checked first), move to
another team they administer, and delete keys. Nobody else ever receives a key, nor more of
it than its last four characters."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from convai_dashboard.accounts import checks, teams
from convai_dashboard.accounts.models import ApiKey
from convai_dashboard.accounts.roles import Action
from convai_dashboard.pages.access import needs, team_membership
from convai_dashboard.pages.forms import ApiKeyForm
from convai_dashboard.pages.htmx import HtmxHttpRequest


def _save_key(key: ApiKey, form: ApiKeyForm) -> ApiKey | None:
    """Checks a new secret with Convai and saves the key; None (with the form's errors set)
    when Convai refuses the key."""
    refusal = checks.save_key(key, form.cleaned_data["label"], form.cleaned_data["key"])
    if refusal is not None:
        form.add_error("key", refusal)
        return None
    return key


def _report_key(request: HtmxHttpRequest, key: ApiKey, done: str) -> None:
    if key.verification_note:
        messages.warning(request, f"Key “{key.label}” {done}. {key.verification_note}")
    else:
        messages.success(request, f"Key “{key.label}” {done} and verified with Convai.")


# The key in clear is posted in "key": error reports must not carry it.
@needs(Action.MANAGE_TEAM)
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("key")
def keys(request: HtmxHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        key = _save_key(ApiKey(team=form.cleaned_data["team"]), form)
        if key is not None:
            teams.audit(key.team, request.user, f"added the key “{key.label}” ({key.masked})")
            _report_key(request, key, "added")
            return redirect("keys")
    context = {
        "form": form,
        "keys": ApiKey.objects.administered_by(request.user)
        .select_related("team")
        .annotate(n_characters=Count("accesses", filter=Q(accesses__suspended_at__isnull=True))),
    }
    return render(request, "accounts/keys.html", context, status=400 if form.errors else 200)


@needs(Action.MANAGE_TEAM)
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("key")
def key_edit(request: HtmxHttpRequest, team_id: int, pk: int) -> HttpResponse:
    key = get_object_or_404(team_membership(request, team_id).team.api_keys, pk=pk)
    was = (key.label, key.last_four)
    form = ApiKeyForm(
        request.POST or None, user=request.user, instance=key, initial={"label": key.label}
    )
    if request.method == "POST" and form.is_valid() and _save_key(key, form) is not None:
        if was != (key.label, key.last_four):
            teams.audit(key.team, request.user, f"changed the key “{was[0]}” to {key}")
        if form.cleaned_data["team"] != key.team:
            moved = teams.move_key(key, form.cleaned_data["team"], request.user)
            messages.info(
                request,
                f"Key “{key.label}” moved to {key.team}, with {moved.accesses + moved.merged} "
                "character(s) it proved.",
            )
        _report_key(request, key, "saved")
        return redirect("keys")
    context = {"form": form, "key": key}
    return render(request, "accounts/key_edit.html", context, status=400 if form.errors else 200)


@needs(Action.MANAGE_TEAM)
@require_http_methods(["GET", "POST"])
def key_delete(request: HtmxHttpRequest, team_id: int, pk: int) -> HttpResponse:
    key = get_object_or_404(team_membership(request, team_id).team.api_keys, pk=pk)
    if request.method == "POST":
        suspended = checks.delete_key(key)
        teams.audit(key.team, request.user, f"deleted the key {key}")
        held = f" {key.team} no longer holds {suspended} character(s) it proved."
        held = held if suspended else ""
        messages.success(request, f"Key “{key.label}” deleted.{held}")
        return redirect("keys")
    context = {"key": key, "accesses": key.accesses.active()}
    return render(request, "accounts/key_delete.html", context)
