"""Strict readers for settings that come from the environment.

A typo in a deployment's environment should stop the server at start-up with a message that
names the variable, not surface later as a surprising default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_mapping(name: str) -> dict[str, tuple[str, str]]:
    """`claim=Team:role` pairs, comma-separated: "studio-qa=Starfall:reviewer" maps the claim
    (a group, or an e-mail domain written "@starfall.example") to a team and a role."""
    mapping = {}
    for item in env_list(name):
        claim, equals, place = item.partition("=")
        team, colon, role = place.rpartition(":")
        if not (equals and colon and claim.strip() and team.strip() and role.strip()):
            raise ImproperlyConfigured(
                f"{name} holds claim=Team:role pairs, such as studio-qa=Starfall:reviewer; "
                f"got {item!r}"
            )
        mapping[claim.strip()] = (team.strip(), role.strip().lower())
    return mapping
