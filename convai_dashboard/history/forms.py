from __future__ import annotations

from django import forms


class SessionListForm(forms.Form):
    """The query string of a session list. Grows with the filters to come."""

    page = forms.IntegerField(min_value=1, required=False)

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1
