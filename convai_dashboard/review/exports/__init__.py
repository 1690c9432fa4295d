"""The review exports as data, a module for each job: `csv_rows` (the session list and the flags
as CSV), `chat_examples` (the rewrites as JSONL), `session` (a session as JSON in Convai's shape
and as a Markdown script) and `bug_report` (one line, to paste into a tracker); `common` holds
what they share. Nothing here speaks HTTP: pages.exports sends what these build, and
bench/export_speed.py times it.

Callers pass sessions, flags and characters they found through the user's access, and a
`SessionLink` that makes a session's absolute URL from its character's and its own Convai ID.

Lists of any length are read in keyset chunks (CHUNK rows, a fixed number of queries each), so
an export holds one chunk in memory, and no cursor or transaction stays open between chunks.
Every text that comes from Convai or a user goes through `cell` in CSV and `markdown` in
Markdown, so that it can never become a spreadsheet formula or Markdown structure.

The CSV module is not named `csv`: its callers write and read CSV with the standard library's
module, which importing it by that name would hide.
"""

from __future__ import annotations

from collections.abc import Callable

# (character ID, session ID) -> the session's absolute URL; a line's permalink adds its anchor.
SessionLink = Callable[[str, str], str]
