"""The sandbox's accounts: their API keys, plans, and the characters each one owns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from convai_dashboard.sandbox import personas
from convai_dashboard.sandbox.generate import FixedSession, GeneratedHistory
from convai_dashboard.sandbox.hostile import (
    BAD_CHARACTER_IDS,
    HOSTILE_CHARACTER_ID,
    HOSTILE_NAME,
    EmptyHistory,
    HostileHistory,
)
from convai_dashboard.sandbox.quirks import QUIRKS_SESSION
from convai_dashboard.sandbox.real_export import RealExportHistory

DEMO_KEY = "sandbox-demo-key-7f3a91c2"
OTHER_KEY = "sandbox-other-key-4be81d07"
CHAT_ONLY_KEY = "sandbox-chat-only-key-92c5e6a4"
HOSTILE_KEY = "sandbox-hostile-key-d41c7e09"

# Convai character IDs come as hyphenated UUIDs or as 32 bare hex digits.
ASTRONAUT_ID = "5e4f2a9c-7b1d-11ef-a3c6-42010a7c4007"
MUSEUM_GUIDE_ID = "c0f1a9e2-3d4b-11ee-8c4f-42010a400005"
SHRINE_KEEPER_ID = "7a91d3c5e2f04b68a1c9e7d5b3f20864"
BLACKSMITH_ID = "2b6e8f0a-91c3-11ee-b5d2-42010a400003"
INNKEEPER_ID = "e94c27b1d05a4f3e8b6d1a7c9f2e5083"
LARGE_CHARACTER_ID = "9c2d7e4f-8a1b-11ef-b3c5-42010a7c40ff"
OTHER_CHARACTER_ID = "4d8a1f6e-2c9b-11ef-8e3a-42010a7c4011"
OTHER_SECOND_CHARACTER_ID = "b17f03c8a4e9452d9c6e8f1a2b3d4c5e"
CHAT_ONLY_CHARACTER_ID = "f3c6b9e2-5a8d-11ef-9b1e-42010a7c4020"

# The characters the demo seeds: the real export first, then two generated ones.
DEMO_CHARACTER_IDS = (ASTRONAUT_ID, MUSEUM_GUIDE_ID, SHRINE_KEEPER_ID)
QUIRKS_CHARACTER_ID = MUSEUM_GUIDE_ID


class History(Protocol):
    def list_sessions(self, limit: int | None) -> list[dict[str, Any]]: ...

    def details(self, session_id: str) -> list[dict[str, Any]]: ...

    def last_interacted_with(self) -> str: ...


@dataclass(frozen=True)
class Character:
    character_id: str
    name: str
    voice_type: str
    created: datetime
    backstory: str
    language_code: str
    memory_enabled: bool
    history: History


@dataclass(frozen=True)
class Account:
    key: str
    user_id: str
    characters: dict[str, Character]
    # Lower plans reach Chat History but not /character/list and /character/get.
    character_api: bool = True


def build_accounts(large_sessions: int = 0) -> dict[str, Account]:
    """Every account by API key. large_sessions > 0 adds LARGE_CHARACTER_ID to the demo account."""
    demo = [
        Character(
            ASTRONAUT_ID,
            "DK Metcalf",
            "MALE",
            datetime(2025, 8, 14, 21, 3, 11),
            "A star wide receiver stranded on the asteroid Psyche 23 after a gold-mining "
            "expedition went south. He broadcasts SOS messages and hopes someone answers.",
            "en-US",
            False,
            RealExportHistory(),
        ),
        _generated(
            MUSEUM_GUIDE_ID,
            "Ada Whitcombe",
            "FEMALE",
            datetime(2024, 9, 2, 10, 15, 42),
            "An enthusiastic guide at the History Museum who knows every fossil by name.",
            personas.MUSEUM_GUIDE,
            480,
            fixed=(QUIRKS_SESSION,),
        ),
        _generated(
            SHRINE_KEEPER_ID,
            "Hoshino Akari",
            "FEMALE",
            datetime(2024, 11, 20, 4, 2, 9),
            "Keeper of Kiriyama Shrine, eleventh of her family. Switches to Japanese when moved.",
            personas.SHRINE_KEEPER,
            310,
            language_code="ja-JP",
        ),
        _generated(
            BLACKSMITH_ID,
            "Torvald Emberhand",
            "MALE",
            datetime(2023, 11, 7, 2, 57, 59),
            "The gruff smith of Kettlebrook. Forty years at the anvil, no patience for hagglers.",
            personas.BLACKSMITH,
            420,
        ),
        _generated(
            INNKEEPER_ID,
            "Mags Thistlewood",
            "FEMALE",
            datetime(2024, 1, 18, 19, 44, 30),
            "Runs the Crooked Lantern tavern and hears every rumour in the valley.",
            personas.INNKEEPER,
            560,
        ),
    ]
    if large_sessions > 0:
        demo.append(
            _generated(
                LARGE_CHARACTER_ID,
                "Gate Attendant Unit 7",
                "ROBOT",
                datetime(2024, 3, 1, 8, 0, 0),
                "The tutorial robot at Port Meridian's busiest gate: everyone talks to it.",
                personas.GATE_ATTENDANT,
                large_sessions,
            )
        )
    other = [
        _generated(
            OTHER_CHARACTER_ID,
            "Captain Mirela Voss",
            "FEMALE",
            datetime(2024, 6, 30, 13, 21, 5),
            "Captain of the Gilded Gull, fastest ship on the Saltmarch.",
            personas.PIRATE_CAPTAIN,
            120,
        ),
        _generated(
            OTHER_SECOND_CHARACTER_ID,
            "Dr. Kwame Mensah",
            "MALE",
            datetime(2025, 2, 11, 16, 40, 0),
            "Runs the hands-on experiments at the Discovery Lab science centre.",
            personas.LAB_GUIDE,
            60,
            memory_rate=0.0,
        ),
    ]
    chat_only = [
        _generated(
            CHAT_ONLY_CHARACTER_ID,
            "Quartermaster Bram Okafor",
            "MALE",
            datetime(2025, 4, 3, 7, 12, 55),
            "Keeps Halcyon Station fed, fuelled and breathing, one requisition form at a time.",
            personas.QUARTERMASTER,
            90,
        ),
    ]
    hostile = [
        _hostile(HOSTILE_CHARACTER_ID, HOSTILE_NAME, HostileHistory()),
        *(
            _hostile(bad_id, f"Unreachable {i}", EmptyHistory())
            for i, bad_id in enumerate(BAD_CHARACTER_IDS)
        ),
    ]
    accounts = (
        Account(DEMO_KEY, "0d4c1f8e6a2b47c9b3e5f7a9c1d3e5f7", _by_id(demo)),
        Account(OTHER_KEY, "8a6e4c2f0b1d43e5a7c9e1f3b5d7f9a1", _by_id(other)),
        Account(CHAT_ONLY_KEY, "3b5d7f9a1c3e45a7b9d1f3e5c7a9b1d3", _by_id(chat_only), False),
        Account(HOSTILE_KEY, "5c0ffee0bad4400a9e1d2c3b4a5f6e7d", _by_id(hostile)),
    )
    return {account.key: account for account in accounts}


def _generated(
    character_id: str,
    name: str,
    voice_type: str,
    created: datetime,
    backstory: str,
    persona: personas.Persona,
    session_count: int,
    *,
    language_code: str = "en-US",
    memory_rate: float = 0.15,
    fixed: tuple[FixedSession, ...] = (),
) -> Character:
    history = GeneratedHistory(
        character_id, persona, session_count, memory_rate=memory_rate, fixed=fixed
    )
    return Character(
        character_id,
        name,
        voice_type,
        created,
        backstory,
        language_code,
        memory_rate > 0,
        history,
    )


def _hostile(character_id: str, name: str, history: History) -> Character:
    return Character(
        character_id,
        name,
        "MALE",
        datetime(2026, 3, 1, 12, 0, 0),
        "Says whatever players make him say.\x00",
        "en-US",
        False,
        history,
    )


def _by_id(characters: list[Character]) -> dict[str, Character]:
    return {character.character_id: character for character in characters}
