"""Composes the exchanges of one generated session from a persona's phrase banks.

Every quirk seen in real Convai exports turns up here at a plausible rate, so the dashboard meets
them in the demo and the tests, not first in production.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from convai_dashboard.sandbox import player_lines
from convai_dashboard.sandbox.personas import Persona


@dataclass(frozen=True)
class Exchange:
    turns: list[dict[str, str]]
    is_trigger_input: bool = False


def compose_session(persona: Persona, rng: random.Random, count: int) -> list[Exchange]:
    exchanges = []
    for position in range(count):
        if position == count - 1 and count > 1 and rng.random() < 0.35:
            exchanges.append(_farewell(persona, rng))
            continue
        weights = _FIRST_WEIGHTS if position == 0 else _LATER_WEIGHTS
        compose = rng.choices(_COMPOSERS, weights=weights)[0]
        exchanges.append(compose(persona, rng))
    return exchanges


def _turn(speaker: str, message: str) -> dict[str, str]:
    return {"speaker": speaker, "message": message}


def _exchange(said: str, answer: str, *, trigger: bool = False) -> Exchange:
    return Exchange([_turn("User", said), _turn("Character", answer)], trigger)


def _spoken(text: str, rng: random.Random) -> str:
    """Many players talk through a microphone: a share of their lines carry speech-to-text noise."""
    return _speech_to_text_noise(text, rng) if rng.random() < 0.25 else text


def _speech_to_text_noise(text: str, rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:  # a stutter: one word caught twice
        words = text.split()
        at = rng.randrange(len(words))
        return " ".join([*words[: at + 1], words[at], *words[at + 1 :]])
    if kind == 1:  # no punctuation or capitals at all
        return "".join(c for c in text.lower() if c.isalnum() or c in " '\u2019")
    if kind == 2:
        return f"{rng.choice(player_lines.FILLERS)} {text[:1].lower()}{text[1:]}"
    call = rng.choice(player_lines.CALLS)
    return f"{call} {call} {text}"


def _answer(persona: Persona, rng: random.Random, replies: tuple[str, ...]) -> str:
    if persona.native_lines and rng.random() < persona.native_rate:
        return rng.choice(persona.native_lines)
    reply = rng.choice(replies)
    if rng.random() < 0.03:
        return _cut_off(reply, rng)
    return reply


def _cut_off(reply: str, rng: random.Random) -> str:
    """Streamed answers sometimes reach the history missing their start or their end."""
    words = reply.split(" ")
    if len(words) < 6:
        return reply
    cut = rng.randrange(2, len(words) - 2)
    return " ".join(words[cut:] if rng.random() < 0.5 else words[:cut])


def _talk(persona: Persona, rng: random.Random) -> Exchange:
    topic = rng.choice(persona.topics)
    return _exchange(_spoken(rng.choice(topic.prompts), rng), _answer(persona, rng, topic.replies))


def _emoji_talk(persona: Persona, rng: random.Random) -> Exchange:
    topic = rng.choice(persona.topics)
    emoji = rng.choice(player_lines.EMOJI)
    said = emoji if rng.random() < 0.4 else f"{rng.choice(topic.prompts)} {emoji}"
    return _exchange(said, _answer(persona, rng, topic.replies))


def _empty_user(persona: Persona, rng: random.Random) -> Exchange:
    # The live API keeps a User turn with an empty message when the character carried on alone.
    replies = rng.choice(persona.topics).replies + persona.openers
    return _exchange("", _answer(persona, rng, replies))


def _character_only(persona: Persona, rng: random.Random) -> Exchange:
    return Exchange([_turn("Character", rng.choice(persona.openers))])


def _event(persona: Persona, rng: random.Random) -> Exchange:
    topic = rng.choice(persona.events)
    event = player_lines.EVENT_PREFIX + rng.choice(topic.prompts)
    if rng.random() < 0.1:
        # The game appends its event to whatever the player was saying at that moment.
        event = f"{rng.choice(('Yeah. Nice.', 'Okay.', 'So what do I'))} {event}"
    return _exchange(event, _answer(persona, rng, topic.replies))


def _trigger(persona: Persona, rng: random.Random) -> Exchange:
    topic = rng.choice(persona.triggers)
    return _exchange(rng.choice(topic.prompts), rng.choice(topic.replies), trigger=True)


def _moderated(persona: Persona, rng: random.Random) -> Exchange:
    category, said = rng.choice(player_lines.MODERATION)
    return _exchange(said, player_lines.REFUSAL_PREFIX + category)


def _with_third_speaker(persona: Persona, rng: random.Random) -> Exchange:
    exchange = _talk(persona, rng)
    line = rng.choice(persona.narration)
    third = (
        _turn("System", line.removeprefix("[System] "))
        if line.startswith("[System] ")
        else _turn("Narrator", line)
    )
    turns = [*exchange.turns, third] if rng.random() < 0.6 else [third, *exchange.turns]
    return Exchange(turns)


def _foreign(persona: Persona, rng: random.Random) -> Exchange:
    return _exchange(rng.choice(player_lines.FOREIGN), _answer(persona, rng, persona.deflections))


def _injection(persona: Persona, rng: random.Random) -> Exchange:
    return _exchange(rng.choice(player_lines.INJECTION), rng.choice(persona.deflections))


def _trolling(persona: Persona, rng: random.Random) -> Exchange:
    replies = persona.deflections if rng.random() < 0.6 else rng.choice(persona.topics).replies
    return _exchange(_spoken(rng.choice(player_lines.TROLLING), rng), rng.choice(replies))


def _unbroken(persona: Persona, rng: random.Random) -> Exchange:
    return _exchange(rng.choice(player_lines.UNBROKEN), rng.choice(persona.deflections))


def _story(persona: Persona, rng: random.Random) -> Exchange:
    return _exchange(rng.choice(player_lines.STORY_PROMPTS), rng.choice(persona.monologues))


def _farewell(persona: Persona, rng: random.Random) -> Exchange:
    said = _spoken(rng.choice(persona.farewells.prompts), rng)
    return _exchange(said, _answer(persona, rng, persona.farewells.replies))


Composer = Callable[[Persona, random.Random], Exchange]

# (composer, weight as a session's first exchange, weight later on)
_MIX: tuple[tuple[Composer, float, float], ...] = (
    (_talk, 35, 55),
    (_emoji_talk, 2, 4),
    (_empty_user, 5, 7),
    (_character_only, 25, 4),
    (_event, 20, 5),
    (_trigger, 10, 4),
    (_moderated, 0.5, 1.5),
    (_with_third_speaker, 1, 2),
    (_foreign, 1, 2),
    (_injection, 0.5, 1),
    (_trolling, 2, 5),
    (_unbroken, 0.2, 0.5),
    (_story, 1, 4),
)
_COMPOSERS = [composer for composer, _, _ in _MIX]
_FIRST_WEIGHTS = [first for _, first, _ in _MIX]
_LATER_WEIGHTS = [later for _, _, later in _MIX]
