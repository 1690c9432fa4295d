"""The forms of review queues: making or changing one, and a reviewer's or a lead's verdict."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet, TextChoices

from convai_dashboard.accounts.models import Role, Team
from convai_dashboard.history.models import ReviewStatus
from convai_dashboard.review.models import Queue
from convai_dashboard.review.queues import VERDICTS


class QueueForm(forms.ModelForm):
    """A queue's settings; its reviewers are members of its team who may review."""

    class Meta:
        model = Queue
        fields = [
            "name",
            "instructions",
            "due_on",
            "reviewers",
            "reviews_wanted",
            "blind",
            "hold_minutes",
        ]
        labels = {
            "due_on": "Due",
            "reviews_wanted": "Reviews wanted per session",
            "blind": "Blind: no reviewer sees another's verdict or flags until the reviews are in",
            "hold_minutes": "Hold a started session for (minutes)",
        }
        help_texts = {
            "reviews_wanted": "From 1 to 5, each by a different reviewer. A session whose "
            "verdicts differ waits for a lead.",
            "hold_minutes": "Until then nobody else is given it; it goes back to the queue after.",
        }
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "instructions": forms.Textarea(attrs={"rows": 3}),
            "reviewers": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, team: Team, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers_of(team)  # type: ignore[attr-defined]
        self.fields["reviewers"].label_from_instance = User.get_username  # type: ignore[attr-defined]
        self.fields["reviews_wanted"].widget.attrs.update(min=1, max=5)
        self.fields["hold_minutes"].widget.attrs.update(min=1, max=1440)

    def clean_reviews_wanted(self) -> int:
        wanted: int = self.cleaned_data["reviews_wanted"]
        if not 1 <= wanted <= 5:
            raise forms.ValidationError("Ask for 1 to 5 reviews per session.")
        return wanted

    def clean_hold_minutes(self) -> int:
        minutes: int = self.cleaned_data["hold_minutes"]
        if not 1 <= minutes <= 1440:
            raise forms.ValidationError("Hold a session for 1 minute to 24 hours.")
        return minutes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reviewers, wanted = data.get("reviewers"), data.get("reviews_wanted")
        if reviewers is not None and wanted and len(reviewers) < wanted:
            self.add_error(
                "reviewers",
                f"{wanted} reviews per session need at least {wanted} reviewers; "
                f"{len(reviewers)} chosen.",
            )
        return data


def reviewers_of(team: Team) -> QuerySet[User]:
    roles = [role for role in Role if role.rank >= Role.REVIEWER.rank]
    return User.objects.filter(memberships__team=team, memberships__role__in=roles).order_by(
        "username"
    )


class Fill(TextChoices):
    MATCHING = "matching", "Every session that matches the list's filters"
    SAMPLE = "sample", "A random sample of them"
    SELECTED = "selected", "The ticked sessions"


class FillForm(forms.Form):
    """Which of the list's sessions go into the queue."""

    fill = forms.ChoiceField(choices=Fill.choices, widget=forms.RadioSelect, label="Sessions")
    percent = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="Sample size (%)", initial=10
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        label="Seed",
        help_text="The same seed and filters draw the same sample.",
    )

    def __init__(self, *args: Any, ticked: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not ticked:
            self.fields["fill"].choices = [  # type: ignore[attr-defined]
                choice for choice in Fill.choices if choice[0] != Fill.SELECTED
            ]
        self.fields["seed"].initial = secrets.randbelow(2**31)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fill") == Fill.SAMPLE:
            if data.get("percent") is None:
                self.add_error("percent", "Say how large a sample to draw.")
            if data.get("seed") is None:
                self.add_error("seed", "Give a seed, so the sample can be drawn again.")
        return data


class VerdictForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in VERDICTS])


class ResolveForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in ReviewStatus if s != ReviewStatus.UNREVIEWED]
    )
