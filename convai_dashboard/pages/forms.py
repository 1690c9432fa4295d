"""Forms of the key and character pages. Whatever Convai says about what they hold is asked
by accounts.checks, after these have checked the shape."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from convai_dashboard.accounts.models import ApiKey, Role, Team

# Convai keys and IDs are plain tokens; anything else (spaces, newlines) would at best be a
# paste error and at worst inject into an HTTP header.
TOKEN = re.compile(r"^[A-Za-z0-9._\-]+$")
# An ID also names pages, so it must not start like a dot segment ("..") or an option: the
# rule the client applies to the IDs Convai sends (convai.parse).
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


def _token(value: str, what: str, pattern: re.Pattern[str] = TOKEN) -> str:
    if not pattern.match(value):
        raise forms.ValidationError(
            f"That does not look like a Convai {what}: use only letters, digits, '-', '_' and '.'."
        )
    return value


class ApiKeyForm(forms.Form):
    label = forms.CharField(
        max_length=100, help_text="A name you recognise, such as “Studio production”."
    )
    key = forms.CharField(
        label="API key",
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Checked with Convai before it is saved; stored encrypted, shown only masked.",
    )

    def __init__(self, *args: Any, user: Any, instance: ApiKey | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance = instance
        teams = Team.objects.filter(memberships__user=user, memberships__role=Role.ADMIN)
        # An admin of one team has nothing to choose.
        self.only_team = _only(teams)
        if self.only_team is None:
            # The team whose members read what the key proves; moving a key moves that too.
            self.fields = {
                "team": forms.ModelChoiceField(
                    queryset=teams,
                    initial=instance.team_id if instance else None,
                    help_text="Its members read the characters the key proves, and never see "
                    "the key. Choosing another team moves the key and those characters there.",
                ),
                **self.fields,
            }
        if instance is not None:
            self.fields["key"].required = False
            self.fields["key"].help_text = (
                f"Leave empty to keep the current key ({instance.masked}); a new key is checked "
                "with Convai before it replaces it."
            )

    def clean_label(self) -> str:
        return self.cleaned_data["label"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.only_team is not None:
            data["team"] = self.only_team
        team, label = data.get("team"), data.get("label")
        if team is not None and label:
            clash = ApiKey.objects.filter(team=team, label=label)
            if self.instance is not None:
                # Saved under its team, then moved: the label must be free in both.
                clash = ApiKey.objects.filter(
                    team__in=[team, self.instance.team_id], label=label
                ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("label", f"{team} already has a key with that label.")
        return data

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        return _token(key, "API key") if key else key


def _only(choices: Any) -> Any:
    # With a single choice there is nothing to choose: preselect it.
    only = list(choices[:2])
    return only[0] if len(only) == 1 else None


class _KeyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label} ({obj.masked}), {obj.team}"


def _key_choice(user: Any) -> forms.ModelChoiceField:
    """The keys of the teams the user administers: only their admins use them."""
    keys = ApiKey.objects.administered_by(user).select_related("team")
    return _KeyChoice(queryset=keys, label="API key", initial=_only(keys))


class CharacterForm(forms.Form):
    character_id = forms.CharField(
        label="Character ID",
        max_length=128,
        help_text="As shown in Convai's dashboard; checked with Convai before it is added.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields = {"api_key": _key_choice(user), **self.fields}

    def clean_character_id(self) -> str:
        return _token(self.cleaned_data["character_id"].strip(), "character ID", ID)


class ImportCharactersForm(forms.Form):
    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["api_key"] = _key_choice(user)
