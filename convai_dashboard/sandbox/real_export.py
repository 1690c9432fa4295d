"""Serves the bundled real Convai export (data/README.md) in the Chat History API's shape."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from convai_dashboard.sandbox.clock import character_timestamp, session_date, session_time

EXPORT_FILE = Path(__file__).parent / "data" / "convai-export-2025-08.csv"


class RealExportHistory:
    """The export's sessions, newest first, each with its interactions oldest first."""

    def __init__(self, path: Path = EXPORT_FILE) -> None:
        by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with path.open(newline="", encoding="utf-8") as export:
            for row in csv.DictReader(export):
                by_session[row["Session ID"]].append(_interaction(row))
        for interactions in by_session.values():
            # The timestamps are fixed-width, so text order is time order.
            interactions.sort(key=lambda interaction: interaction["timestamp"])
        self._sessions = dict(
            sorted(by_session.items(), key=lambda item: item[1][0]["timestamp"], reverse=True)
        )
        self._summaries = [_summary(sid, its) for sid, its in self._sessions.items()]

    def list_sessions(self, limit: int | None) -> list[dict[str, Any]]:
        return self._summaries if limit is None else self._summaries[:limit]

    def details(self, session_id: str) -> list[dict[str, Any]]:
        return self._sessions.get(session_id, [])

    def last_interacted_with(self) -> str:
        latest = max(its[-1]["timestamp"] for its in self._sessions.values())
        return character_timestamp(datetime.fromisoformat(latest))


def _interaction(row: dict[str, str]) -> dict[str, Any]:
    # An empty "User Input" stays a User turn with an empty message, as the live API sends it.
    return {
        "timestamp": row["Timestamp"],
        "interaction": [
            {"speaker": "User", "message": row["User Input"]},
            {"speaker": "Character", "message": row["Character Response"]},
        ],
        "is_trigger_input": row["Is Trigger Input"] == "True",
    }


def _summary(session_id: str, interactions: list[dict[str, Any]]) -> dict[str, Any]:
    started = datetime.fromisoformat(interactions[0]["timestamp"])
    return {
        "sessionID": session_id,
        "date": session_date(started),
        "time": session_time(started),
        "is_added_to_memory": False,
    }
