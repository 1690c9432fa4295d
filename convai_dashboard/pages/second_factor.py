"""The page that asks for a second factor after signing in, for the members of a team that
requires one (accounts/second_factor.py): the one-time code of an authenticator app, which a
user without one sets up here first."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from convai_dashboard.accounts import second_factor
from convai_dashboard.accounts.roles import Action
from convai_dashboard.pages.access import needs
from convai_dashboard.pages.htmx import HtmxHttpRequest
from convai_dashboard.pages.links import safe_next


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@needs(Action.READ)
@require_http_methods(["GET", "POST"])
def second_factor_page(request: HtmxHttpRequest) -> HttpResponse:
    authenticator = second_factor.authenticator_of(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if authenticator is not None:
            accepted = authenticator.validate_code(code)
        else:
            accepted = second_factor.enrol(request, request.user, code)
        if accepted:
            second_factor.passed(request)
            return HttpResponseRedirect(safe_next(request, settings.LOGIN_REDIRECT_URL))
        form.add_error("code", "That code is not the current one (or was used already).")
    context = {
        "form": form,
        "next": safe_next(request, settings.LOGIN_REDIRECT_URL),
        "setup": None if authenticator else second_factor.setup_codes(request.user),
    }
    return render(
        request, "registration/second_factor.html", context, status=400 if form.errors else 200
    )
