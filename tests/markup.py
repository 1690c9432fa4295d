"""Parts of a rendered page that tests read."""

from __future__ import annotations


def row_of(page: str, session: object) -> str:
    """The session list's row of this session (its link, as the out-of-band update replaces
    it); an AssertionError when the page does not list it."""
    pk = session.pk  # type: ignore[attr-defined]
    listed, out_of_band = f'id="row-{pk}"', f'data-hx-swap-oob="outerHTML:#row-{pk} &gt;'
    if listed in page:
        start = page.index("<a ", page.index(listed))
    else:
        assert out_of_band in page, f"no row for session {pk} on the page"
        start = page.rindex("<a ", 0, page.index(out_of_band))
    return page[start : page.index("</a>", start) + len("</a>")]


def is_unread(row: str) -> bool:
    """Whether the row shows its unread mark (the dot is there either way, hidden when read)."""
    return '<span class="unread-dot" title' in row
