"""Form fields for query-string values that end up in a query: each bounded to what the
columns and the date arithmetic behind it hold, so a value out of range is a 400 that says
so, never an overflow (a 500)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# The days a filter takes: those of any conversation Convai can have recorded (the client
# keeps times from 2000 to 3000), and far from the calendar's end, where "the day after"
# overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
# A count stored in a PositiveIntegerField (4 bytes on PostgreSQL).
COUNT_MAX = 2**31 - 1
# A row id (BigAutoField; SQLite's integers are 8 bytes too).
ID_MAX = 2**63 - 1


class DayField(forms.DateField):
    def __init__(self, **kwargs: Any) -> None:
        message = f"Enter a date from {FIRST_DAY} to {LAST_DAY}."
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(
            validators=[
                MinValueValidator(FIRST_DAY, message),
                MaxValueValidator(LAST_DAY, message),
            ],
            **kwargs,
        )


class CountField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, max_value=COUNT_MAX, **kwargs)


class IdField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)
