"""URLs for thousands of rows: a page reverses each kind of link once and quotes the varying
part into it, as reverse() would have quoted it. reverse() costs about as much as the rest of a
list row, or of a CSV row. And the one check of a `next` a form sends the reader back to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS, url_has_allowed_host_and_scheme

# Stands in for the last argument of the URL reversed once; digits, so that it passes an `int`
# converter too, and long enough never to be part of a real character's ID.
_MARKER = 987654321987654321
# What reverse() leaves unquoted in a path argument (django.urls.resolvers).
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


def url_maker(name: str, *args: Any) -> Callable[[Any], str]:
    """`reverse(name, args=[*args, last])` for any `last`, from a single reverse()."""
    before, _, after = reverse(name, args=[*args, _MARKER]).rpartition(str(_MARKER))
    return lambda last: f"{before}{quote(str(last), safe=_PATH_SAFE)}{after}"


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the request names (posted, or in its query), if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback
