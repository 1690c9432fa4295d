from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from django import forms

from convai_dashboard.history.listing import BadCursor, Sort, decode_cursor
from convai_dashboard.history.models import ConvaiCharacter, ReviewStatus
from convai_dashboard.history.text import MAX_TERMS, terms_of
from convai_dashboard.pages.fields import CountField, DayField, IdField
from convai_dashboard.review.models import Tag

ANY = [("", "Any")]


class SessionListForm(forms.Form):
    """The query string of a session list: filters, sort and position. `tags` are the
    character's own, to filter by, read once by the caller (the page shows them twice)."""

    status = forms.ChoiceField(
        required=False, label="Review status", choices=[*ANY, *ReviewStatus.choices]
    )
    # By name, so a link reads ?tag=needs-vo.
    tag = forms.ChoiceField(required=False, label="Tag")
    start_from = DayField(required=False, label="Started from")
    start_to = DayField(required=False, label="Started until")
    memory = forms.ChoiceField(
        required=False,
        label="Long-term memory",
        choices=[*ANY, ("yes", "In long-term memory"), ("no", "Not in memory")],
    )
    trigger = forms.ChoiceField(
        required=False,
        label="Trigger inputs",
        choices=[*ANY, ("yes", "Has trigger inputs"), ("no", "No trigger inputs")],
    )
    other_speaker = forms.ChoiceField(
        required=False,
        label="Other speakers",
        choices=[*ANY, ("yes", "Someone besides player and character"), ("no", "Only those two")],
    )
    stored = forms.ChoiceField(
        required=False,
        label="Transcript",
        choices=[*ANY, ("yes", "Stored here"), ("no", "Not fetched yet")],
    )
    min_interactions = CountField(required=False, label="Interactions, at least")
    max_interactions = CountField(required=False, label="Interactions, at most")
    sort = forms.TypedChoiceField(
        required=False, choices=Sort.choices, coerce=Sort, empty_value=Sort.NEWEST
    )
    after = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    last = forms.BooleanField(required=False, widget=forms.HiddenInput)

    FILTERS = (
        "status",
        "tag",
        "start_from",
        "start_to",
        "memory",
        "trigger",
        "other_speaker",
        "stored",
        "min_interactions",
        "max_interactions",
    )

    def __init__(self, *args: Any, tags: Callable[[], Iterable[Tag]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._tags = tags
        # Read when first needed (an export without a tag filter never needs them), then once.
        self.fields["tag"].choices = lambda: [*ANY, *((name, name) for name in self.tags)]  # type: ignore[attr-defined]

    @cached_property
    def tags(self) -> dict[str, Tag]:
        return {tag.name: tag for tag in self._tags()}

    def clean_tag(self) -> Tag | None:
        return self.tags.get(self.cleaned_data["tag"]) if self.cleaned_data["tag"] else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Not there when the sort is not one of the choices: the cursors are read in the default.
        data.setdefault("sort", Sort.NEWEST)
        start, end = data.get("start_from"), data.get("start_to")
        if start and end and start > end:
            self.add_error("start_to", "The end date is before the start date.")
        low, high = data.get("min_interactions"), data.get("max_interactions")
        if low is not None and high is not None and low > high:
            self.add_error("max_interactions", "The maximum is below the minimum.")
        for name in ("after", "before"):
            if data.get(name):
                try:
                    data[name] = decode_cursor(data[name], data["sort"])
                except BadCursor:
                    self.add_error(None, "That page link is not valid; showing the first page.")
            else:
                data[name] = None
        return data

    def filters_set(self) -> set[str]:
        return {name for name in self.FILTERS if self.cleaned_data.get(name) not in (None, "")}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters_set())


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text='Words, "exact phrases" and prefixes (forg*); case and accents do not matter.',
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    character = forms.ChoiceField(required=False, label="In")
    before = IdField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, characters: list[ConvaiCharacter], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.characters = characters
        self.fields["character"].choices = [  # type: ignore[attr-defined]
            ("", "All your characters"),
            *((c.character_id, c.display_name) for c in characters),
        ]

    def clean_q(self) -> str:
        query: str = self.cleaned_data["q"]
        found = len(terms_of(query))
        if found > MAX_TERMS:
            raise forms.ValidationError(
                f"Search for at most {MAX_TERMS} different words or phrases at once; "
                f"this search has {found}."
            )
        return query

    def clean_character(self) -> ConvaiCharacter | None:
        chosen = self.cleaned_data["character"]
        # One of the choices, which the field has checked.
        return next(c for c in self.characters if c.character_id == chosen) if chosen else None
