"""Text folded for search, the same for both search engines, and matches found again in the
original text for highlighting.

Folding lower-cases, removes accents (café → cafe, Arabic vowel marks too), turns every
character that is not a letter or digit into a space, and makes each Chinese or Japanese
character a word of its own: those scripts put no spaces between words, so a phrase of them
becomes a phrase of single characters. SQLite's FTS5 and PostgreSQL's "simple" text search then
both just split on spaces, and agree on every match.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from django.utils.safestring import SafeString, mark_safe

# Hiragana, katakana, CJK ideographs (with extension A and compatibility ideographs).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SEPARATOR = re.compile(r"[\W_]+")
# Kana voicing marks are combining characters too, but change the word (バス is not ハス).
_KEEP_MARKS = {"\u3099", "\u309a"}


@cache
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) or c in _KEEP_MARKS)
    kept = unicodedata.normalize("NFC", kept)
    if _CJK.fullmatch(kept):
        return f" {kept} "
    return _SEPARATOR.sub(" ", kept)


# ASCII folds one character to one: letters and digits lower-cased, the rest spaces.
_ASCII_FOLD = {i: chr(i).lower() if chr(i).isalnum() else " " for i in range(128)}


def fold(text: str) -> str:
    if text.isascii():
        # Most lines: the same fold at C speed. Folded character by character, every stored
        # line paid for it in a sync (docs/performance.md, "Sync").
        return " ".join(text.translate(_ASCII_FOLD).split())
    return " ".join("".join(_fold_char(c) for c in text).split())


def words(text: str) -> list[str]:
    return fold(text).split()


@dataclass(frozen=True)
class Term:
    """A word or a phrase to find; the last word may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')
# A search takes at most this many different words and phrases: each is one more condition for
# the search engine and one more pattern to highlight in every hit. The search form says so;
# other readers of a query (a transcript opened from a search) keep the first ones.
MAX_TERMS = 10


def terms_of(query: str) -> list[Term]:
    """Every different word, "quoted phrase" and prefix (word*) of a query, in order. A word
    that folds into several (don't, 鍛冶屋) is searched as the phrase it is."""
    terms = []
    for phrase, word in _QUERY_PART.findall(query):
        prefix = not phrase and word.endswith("*")
        found = tuple(words(phrase or word.rstrip("*")))
        if found:
            terms.append(Term(found, prefix))
    return list(dict.fromkeys(terms))


def parse_query(query: str) -> list[Term]:
    """The terms to search for: those of terms_of, up to MAX_TERMS."""
    return terms_of(query)[:MAX_TERMS]


# Bounded: the terms are whatever users search for, and a server runs for weeks.
@lru_cache(maxsize=1024)
def _pattern(term: Term) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in term.words)
    return re.compile(rf"(?<!\w){body}" + (r"\w*" if term.prefix else r"(?!\w)"))


def _folded_with_origins(text: str) -> tuple[str, list[int] | range]:
    """The folded text, and for each of its characters the offset it came from."""
    if text.isascii():
        # Most lines: the same fold at C speed, and every offset maps to itself.
        return text.translate(_ASCII_FOLD), range(len(text))
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def match_spans(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    """Where the terms occur in the original text, as (start, end) character offsets."""
    flat, origin = _folded_with_origins(text)
    spans = []
    for term in terms:
        for found in _pattern(term).finditer(flat):
            start, end = found.start(), found.end()
            while start < end and flat[start] == " ":
                start += 1
            spans.append((origin[start], origin[end - 1] + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Characters beyond the Basic Multilingual Plane: emoji, mostly.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def astral_as_references(html_text: str) -> str:
    """HTML with each character beyond the Basic Multilingual Plane written as a character
    reference, which a browser shows the same. Python stores a string at the width of its
    widest character: one emoji in a transcript made its whole page four bytes a character,
    and joining its parts and encoding it cost many times what it costs at two bytes
    (docs/performance.md, "Rendering")."""
    if html_text.isascii():
        return html_text
    return _ASTRAL.sub(lambda found: f"&#{ord(found[0])};", html_text)


def escape_html(text: str) -> str:
    """The text escaped for HTML, never four bytes a character (`astral_as_references`)."""
    return astral_as_references(html.escape(text))


def highlight(text: str, terms: list[Term], width: int | None = None) -> SafeString:
    """The text, escaped, with matches in <mark>; cut to about `width` characters around the
    first match when a width is given and the text is longer."""
    spans = match_spans(text, terms)
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        centre = spans[0][0] if spans else 0
        start = max(0, centre - width // 3)
        end = min(len(text), start + width)
    parts = ["…" if start > 0 else ""]
    position = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(escape_html(text[position:span_start]))
        parts.append(f"<mark>{escape_html(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(escape_html(text[position:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # every piece of the text was escaped above
