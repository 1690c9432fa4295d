"""One short, hand-written session that packs every awkward case, for tests to rely on."""

# ruff: noqa: RUF001

from __future__ import annotations

from convai_dashboard.sandbox.dialogue import Exchange
from convai_dashboard.sandbox.generate import FixedSession

QUIRKS_SESSION_ID = "d2f6c8a4-1b3e-4f5a-9c7d-0e8b6a4c2f19"


def _exchange(said: str, answer: str) -> Exchange:
    return Exchange(
        [{"speaker": "User", "message": said}, {"speaker": "Character", "message": answer}]
    )


QUIRKS_SESSION = FixedSession(
    session_id=QUIRKS_SESSION_ID,
    position=2,  # near the top of the museum guide's list, where the demo shows it
    exchanges=(
        (
            0,
            Exchange(
                [
                    {"speaker": "User", "message": "Visitor enters the Hall of Fossils"},
                    {
                        "speaker": "Character",
                        "message": "Welcome to the Hall of Fossils! Everything here is older "
                        "than the Alps.",
                    },
                ],
                is_trigger_input=True,
            ),
        ),
        (
            14.208113,
            _exchange("", "Are you still there? The tour continues through the arch."),
        ),
        (
            31.500217,
            Exchange(
                [
                    {"speaker": "User", "message": "What’s that noise?"},
                    {"speaker": "Character", "message": "Oh, that’s the evening show starting."},
                    {
                        "speaker": "Narrator",
                        "message": "*The museum lights dim for the evening show.*",
                    },
                ]
            ),
        ),
        (
            52.04,
            _exchange(
                "<script>alert('xss')</script>",
                "I’m not sure I understand. Would you like to see the fossils?",
            ),
        ),
        (
            75.333333,
            _exchange(
                "What’s on today?",
                "Here’s today’s schedule:\n\n10:00 — Dinosaur hall tour\n"
                "13:00 — Egyptian wing\n15:30 — Planetarium show",
            ),
        ),
        (
            98.9,
            _exchange("this is so cool 🦖🔥", "It really is! 🦕 Wait until you see the T. rex."),
        ),
    ),
)
