"""Forms of the review actions and the backlog."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from convai_dashboard.history.models import ReviewStatus
from convai_dashboard.pages.fields import DayField
from convai_dashboard.review.models import FlagCategory, FlagStatus, Tag, TagColour
from convai_dashboard.review.queries import BacklogSort

ANY = [("", "Any")]
TEXT = 5000  # the longest comment, rewrite or note: a paragraph or two, not a document


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ReviewStatus.choices)


class FlagForm(forms.Form):
    category = forms.ChoiceField(choices=FlagCategory.choices)
    comment = forms.CharField(
        required=False,
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What is wrong with the line.",
    )
    rewrite = forms.CharField(
        required=False,
        max_length=TEXT,
        label="Suggested rewrite",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the line should read; optional.",
    )


class FlagEditForm(forms.Form):
    status = forms.ChoiceField(choices=FlagStatus.choices)
    comment = forms.CharField(
        required=False, max_length=TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    rewrite = forms.CharField(
        required=False,
        max_length=TEXT,
        label="Rewrite",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, offered: list[FlagStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the statuses the reader's role may set (pages.review).
        self.fields["status"].choices = [(s.value, s.label) for s in offered]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "A note needs some text."},
    )


class NewTagForm(forms.Form):
    name = forms.CharField(max_length=40, label="New tag")
    colour = forms.ChoiceField(choices=TagColour.choices, initial=TagColour.BLUE)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A tag needs a name.")
        return name


class SessionTagForm(forms.Form):
    """A tag to put on a session: one of the character's, or a new one by name."""

    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), required=False, label="Tag")
    name = forms.CharField(max_length=40, required=False, label="or a new tag")
    colour = forms.ChoiceField(choices=TagColour.choices, required=False)

    def __init__(self, *args: Any, tags: QuerySet[Tag], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["name"] = " ".join((data.get("name") or "").split())
        if not data.get("tag") and not data["name"]:
            raise forms.ValidationError("Choose a tag, or name a new one.")
        return data


class BulkTagForm(forms.Form):
    """Tagging many sessions: those ticked in the list, or every one its filters match."""

    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), label="Tag")
    scope = forms.ChoiceField(choices=[("selected", "Selected"), ("matching", "All matching")])
    # The list's filters, as its query string, for scope "matching".
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tags: QuerySet[Tag], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]


class BacklogForm(forms.Form):
    """The query string of the writer's backlog."""

    category = forms.ChoiceField(required=False, choices=[*ANY, *FlagCategory.choices])
    status = forms.ChoiceField(required=False, choices=[*ANY, *FlagStatus.choices])
    author: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="username"
    )
    since = DayField(required=False, label="Flagged from")
    until = DayField(required=False, label="Flagged until")
    sort = forms.TypedChoiceField(
        required=False,
        choices=BacklogSort.choices,
        coerce=BacklogSort,
        empty_value=BacklogSort.NEWEST,
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, authors: QuerySet[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["author"].queryset = authors  # type: ignore[attr-defined]
        self.fields["author"].empty_label = "Anyone"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    @property
    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(name) not in (None, "")
            for name in ("category", "status", "author", "since", "until")
        )
