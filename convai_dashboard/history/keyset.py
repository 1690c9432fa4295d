"""Keyset pagination, for the session list, the backlog and the exports: each page or chunk
continues after the last row of the one before, read through an index of the order from that
row on, so the last page of 100,000 rows costs what the first does.

An order is field names as order_by() takes them ("-" for descending), its last field unique
among the rows asked (a session ID among a character's sessions, a primary key), so that
every row has a place of its own; a row's key is the values of those fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleExact,
    TupleGreaterThan,
    TupleGreaterThanOrEqual,
    TupleLessThan,
    TupleLessThanOrEqual,
)


def backward(order: Sequence[str]) -> list[str]:
    """The same order, the other way round."""
    return [name[1:] if name.startswith("-") else f"-{name}" for name in order]


def beyond(order: Sequence[str], key: Sequence[Any]) -> Q:
    """Rows past `key` in `order`, as row values: `(a, b) < (x, y)` is one range of the
    order's index, which both engines start reading at the key. The same condition spelt
    `a < x OR (a = x AND b < y)` made them read every row before it (docs/performance.md,
    "Keyset pages at depth").

    An order all one way is asked as `<=` less the key's own row (its last field is unique):
    PostgreSQL estimates a row value by its first column, and `interaction_count < 1` at the
    end of the longest-first list, no rows, made it pick a smaller index and check the
    filters row by row. An order whose fields go both ways (the backlog by category, newest
    first within each) compares a row value for each run of fields going one way, the first
    also as a bound an index can seek to."""
    # The order in runs of fields that go one way.
    runs: list[tuple[bool, list[str]]] = []
    for name in order:
        descending, field = name.startswith("-"), name.lstrip("-")
        if runs and runs[-1][0] == descending:
            runs[-1][1].append(field)
        else:
            runs.append((descending, [field]))
    return _past(runs, list(key), unique=(order[-1].lstrip("-"), key[-1]))


# Django's lookups of a row value, by the name of the lookup of one field.
_ROW_LOOKUPS: dict[str, type[Any]] = {
    "exact": TupleExact,
    "lt": TupleLessThan,
    "lte": TupleLessThanOrEqual,
    "gt": TupleGreaterThan,
    "gte": TupleGreaterThanOrEqual,
}


def _past(runs: list[tuple[bool, list[str]]], key: list[Any], unique: tuple[str, Any]) -> Q:
    (descending, fields), rest = runs[0], runs[1:]
    head, tail = key[: len(fields)], key[len(fields) :]
    up_to = _compare(fields, "lte" if descending else "gte", head)
    if not rest:
        return up_to & ~Q(**{unique[0]: unique[1]})
    past = _compare(fields, "lt" if descending else "gt", head)
    return up_to & (past | (_compare(fields, "exact", head) & _past(rest, tail, unique)))


def _compare(fields: list[str], lookup: str, values: list[Any]) -> Q:
    """The fields against the values, as a row value when there are two fields or more."""
    if len(fields) == 1:
        return Q(**{f"{fields[0]}__{lookup}": values[0]})
    row = Tuple(*(F(field) for field in fields))
    return Q(_ROW_LOOKUPS[lookup](row, tuple(values)))


def chunks[T](
    rows: QuerySet[Any, T], order: Sequence[str], value: Callable[[T, str], Any], size: int
) -> Iterator[tuple[QuerySet[Any, T], list[T]]]:
    """The rows in chunks of `size`, in `order`, each continuing after the last row of the one
    before; `value(row, field)` reads a field of a row. Each comes with the query that read
    it, for other queries to take as a subquery: Django prepares a list of thousands of IDs
    one by one, which cost more than reading the rows."""
    ordered = rows.order_by(*order)
    page = ordered[:size]
    while chunk := list(page):
        yield page, chunk
        if len(chunk) < size:
            return
        key = [value(chunk[-1], name.lstrip("-")) for name in order]
        page = ordered.filter(beyond(order, key))[:size]
