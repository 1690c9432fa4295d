"""How a user likes to read (compact transcripts, UTC or local times, the theme): set from any
page, which it returns to, and read by every page through `display_preferences`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from convai_dashboard.accounts.models import Preferences, Theme, TimeDisplay
from convai_dashboard.accounts.roles import Action
from convai_dashboard.pages.access import needs
from convai_dashboard.pages.htmx import HtmxHttpRequest


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["compact", "times", "theme"]


def display_preferences(request: HtmxHttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in user's preferences, read only by a page that uses
    them."""
    return {
        "preferences": SimpleLazyObject(lambda: Preferences.of(request.user)),
        "themes": Theme,
        "time_displays": TimeDisplay,
    }


@needs(Action.READ)
@require_POST
def set_preferences(request: HtmxHttpRequest) -> HttpResponse:
    """Changes the preferences the form names; the others stay as they were."""
    current = Preferences.of(request.user)
    data = {name: getattr(current, name) for name in PreferencesForm.Meta.fields}
    data.update({name: value for name, value in request.POST.items() if name in data})
    if "compact" in request.POST:
        data["compact"] = request.POST["compact"] == "on"
    form = PreferencesForm(data, instance=current)
    if form.is_valid():
        form.save()
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("home")
    return HttpResponseRedirect(back)
