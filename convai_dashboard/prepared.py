"""Queries whose SQL is built once a process, then only run.

Django builds a queryset's SQL anew each time it runs it, which costs far more Python than the
database spends answering the few small reads every page starts with (docs/performance.md,
"The signed-in floor"). Those are built once, with a marker in place of each value, and
then run with each request's values through `Model.objects.raw`. Outside the layers, as
cached.py is: the store and the accounts both prepare queries here.

Only a query whose every parameter is one of its markers can be prepared: any other parameter
(a constant, a `now()`, a setting) would keep its first request's value for the life of the
process, so it is refused when the query is built."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from django.db.models import Model, QuerySet

# Values no request sends: a user's pk is positive, and no ID Convai gives holds a NUL.
_MARKER_INTS = count(-7_340_001, -1)
_MARKER_STRS = (f"\x00prepared-{n}" for n in count())


class FrozenValue(ValueError):
    """A query with a parameter that is not one of its markers: prepared, it would keep that
    value for the life of the process."""


class Prepared[M: Model]:
    """`build(*values)`'s rows, for values of the types given (int or str: values the
    database takes as they are, so a marker's place in the parameters is the value's)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *types: type[int] | type[str]):
        self.build, self.types = build, types
        self.compiled: tuple[type[M], str, str, int, list[int]] | None = None

    def _compile(self) -> tuple[type[M], str, str, int, list[int]]:
        markers = [next(_MARKER_INTS if kind is int else _MARKER_STRS) for kind in self.types]
        queryset = self.build(*markers)
        sql, params = queryset.query.sql_with_params()
        frozen = [param for param in params if param not in markers]
        if frozen:
            raise FrozenValue(f"{frozen!r} would be kept for every run of {sql}")
        places = []
        for marker in markers:
            found = [n for n, param in enumerate(params) if param == marker]
            # A value the query changes on its way to SQL (a LIKE pattern, say) is not found:
            # such a query cannot be prepared this way.
            if len(found) != 1:
                raise ValueError(f"{marker!r} is {len(found)} times in the parameters of {sql}")
            places.append(found[0])
        return queryset.model, queryset.db, sql, len(params), places

    def __call__(self, *values: int | str) -> list[M]:
        for value, kind in zip(values, self.types, strict=True):
            if type(value) is not kind:
                raise TypeError(f"{value!r} is not {kind.__name__}")
        # Built once a process: a process serves one database, whose SQL dialect never changes.
        if self.compiled is None:
            self.compiled = self._compile()
        model, alias, sql, size, places = self.compiled
        # Every parameter is a marker (see _compile), so the values fill them all.
        filled: list[object] = [None] * size
        for place, value in zip(places, values, strict=True):
            filled[place] = value
        return list(model._default_manager.using(alias).raw(sql, filled))
