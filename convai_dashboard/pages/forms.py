"""Forms of the key and character pages. Whatever Convai says about what they hold is asked
by accounts.checks, after these have checked the shape."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from convai_dashboard.accounts.models import ApiKey

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

    def __init__(self, *args: Any, owner: Any, instance: ApiKey | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.instance = instance
        if instance is not None:
            self.fields["key"].required = False
            self.fields["key"].help_text = (
                f"Leave empty to keep the current key ({instance.masked}); a new key is checked "
                "with Convai before it replaces it."
            )

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        clash = ApiKey.objects.for_user(self.owner).filter(label=label)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("You already have a key with that label.")
        return label

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        return _token(key, "API key") if key else key


def _key_choice(owner: Any) -> forms.ModelChoiceField:
    keys = ApiKey.objects.for_user(owner)
    only = list(keys[:2])
    # With a single key there is nothing to choose: preselect it.
    return forms.ModelChoiceField(
        queryset=keys, label="API key", initial=only[0] if len(only) == 1 else None
    )


class CharacterForm(forms.Form):
    character_id = forms.CharField(
        label="Character ID",
        max_length=128,
        help_text="As shown in Convai's dashboard; checked with Convai before it is added.",
    )

    def __init__(self, *args: Any, owner: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields = {"api_key": _key_choice(owner), **self.fields}

    def clean_character_id(self) -> str:
        return _token(self.cleaned_data["character_id"].strip(), "character ID", ID)


class ImportCharactersForm(forms.Form):
    def __init__(self, *args: Any, owner: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["api_key"] = _key_choice(owner)
