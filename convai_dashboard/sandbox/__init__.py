"""A Convai-compatible sandbox server for the demo, the tests and the benchmarks.

It speaks the Chat History and Character API contract from the server side, using only the standard
library and sharing no code with the project's Convai client, so each can check the other.
"""

from __future__ import annotations

from convai_dashboard.sandbox.accounts import (
    ASTRONAUT_ID,
    BLACKSMITH_ID,
    CHAT_ONLY_CHARACTER_ID,
    CHAT_ONLY_KEY,
    DEMO_CHARACTER_IDS,
    DEMO_KEY,
    HOSTILE_KEY,
    INNKEEPER_ID,
    LARGE_CHARACTER_ID,
    MUSEUM_GUIDE_ID,
    OTHER_CHARACTER_ID,
    OTHER_KEY,
    OTHER_SECOND_CHARACTER_ID,
    QUIRKS_CHARACTER_ID,
    SHRINE_KEEPER_ID,
)
from convai_dashboard.sandbox.faults import FAULT_MODES
from convai_dashboard.sandbox.hostile import HOSTILE_CHARACTER_ID
from convai_dashboard.sandbox.quirks import QUIRKS_SESSION_ID
from convai_dashboard.sandbox.server import RecordedRequest, SandboxServer

__all__ = [
    "ASTRONAUT_ID",
    "BLACKSMITH_ID",
    "CHAT_ONLY_CHARACTER_ID",
    "CHAT_ONLY_KEY",
    "DEMO_CHARACTER_IDS",
    "DEMO_KEY",
    "FAULT_MODES",
    "HOSTILE_CHARACTER_ID",
    "HOSTILE_KEY",
    "INNKEEPER_ID",
    "LARGE_CHARACTER_ID",
    "MUSEUM_GUIDE_ID",
    "OTHER_CHARACTER_ID",
    "OTHER_KEY",
    "OTHER_SECOND_CHARACTER_ID",
    "QUIRKS_CHARACTER_ID",
    "QUIRKS_SESSION_ID",
    "SHRINE_KEEPER_ID",
    "RecordedRequest",
    "SandboxServer",
]
