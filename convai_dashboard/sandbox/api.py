"""The Convai endpoints' behaviour: authentication, validation, access rules and answers.

Validation errors copy FastAPI's format (the framework behind Convai's API), so a client that sends
`limit` as a number gets the same 422 it would get from the real service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from convai_dashboard.sandbox.accounts import Account, Character
from convai_dashboard.sandbox.clock import character_timestamp
from convai_dashboard.sandbox.responses import Response, json_response

LIST_SESSIONS = "/character/chatHistory/list"
SESSION_DETAILS = "/character/chatHistory/details"
GET_CHARACTER = "/character/get"
LIST_CHARACTERS = "/character/list"
ENDPOINTS = frozenset({LIST_SESSIONS, SESSION_DETAILS, GET_CHARACTER, LIST_CHARACTERS})

INVALID_KEY = {"ERROR": "Invalid API key provided."}
NOT_ON_ACCOUNT = {"ERROR": "Character not found in your account."}
NOT_YOURS = {"ERROR": "You do not have permission to access this character."}
NOT_IN_PLAN = {"ERROR": "Your plan does not include access to this endpoint."}
DATABASE_FAILED = {"ERROR": "INTERNAL SERVER ERROR, one or more database calls failed!"}

_INTEGER = re.compile(r"-?\d+")


class ConvaiApi:
    def __init__(self, accounts: Mapping[str, Account]) -> None:
        self._accounts = accounts
        self._all_character_ids = {
            character_id for account in accounts.values() for character_id in account.characters
        }

    def answer(self, method: str, path: str, api_key: str | None, body: bytes) -> Response:
        if path not in ENDPOINTS:
            return json_response(404, {"detail": "Not Found"})
        if method != "POST":
            return json_response(405, {"detail": "Method Not Allowed"}, (("Allow", "POST"),))
        account = self._accounts.get(api_key or "")
        if account is None:
            return json_response(401, INVALID_KEY)
        if path == LIST_CHARACTERS:
            return self._list_characters(account)
        fields = {
            LIST_SESSIONS: ("charID", "limit"),
            SESSION_DETAILS: ("charID", "sessionID"),
            GET_CHARACTER: ("charID",),
        }[path]
        request, errors = _validated(body, fields)
        if errors:
            return json_response(422, {"detail": errors})
        if path == GET_CHARACTER:
            return self._get_character(account, request["charID"])
        character = account.characters.get(request["charID"])
        if character is None:
            return json_response(403, NOT_ON_ACCOUNT)
        if path == LIST_SESSIONS:
            limit = int(request["limit"])
            return json_response(200, character.history.list_sessions(None if limit < 0 else limit))
        return json_response(200, character.history.details(request["sessionID"]))

    def _list_characters(self, account: Account) -> Response:
        if not account.character_api:
            return json_response(403, NOT_IN_PLAN)
        return json_response(
            200,
            {
                "characters": [
                    {
                        "character_name": character.name,
                        "character_id": character.character_id,
                        "timestamp": character_timestamp(character.created),
                        "last_interacted_with": character.history.last_interacted_with(),
                        "memory_settings": {"enabled": character.memory_enabled},
                        "model_details": {"modelPlaceholder": _avatar_url(character)},
                    }
                    for character in account.characters.values()
                ]
            },
        )

    def _get_character(self, account: Account, character_id: str) -> Response:
        if not account.character_api:
            return json_response(403, NOT_IN_PLAN)
        character = account.characters.get(character_id)
        if character is None:
            exists_elsewhere = character_id in self._all_character_ids
            return (
                json_response(403, NOT_YOURS)
                if exists_elsewhere
                else json_response(400, DATABASE_FAILED)
            )
        return json_response(
            200,
            {
                "character_name": character.name,
                "character_id": character.character_id,
                "user_id": account.user_id,
                "voice_type": character.voice_type,
                "timestamp": character_timestamp(character.created),
                "backstory": character.backstory,
                "language_code": character.language_code,
                "model_details": {"modelPlaceholder": _avatar_url(character)},
            },
        )


def _avatar_url(character: Character) -> str:
    # A reserved domain that never resolves: the sandbox must not make browsers call out anywhere.
    return f"https://avatars.sandbox.invalid/{character.character_id}.png"


def _validated(body: bytes, fields: tuple[str, ...]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The body's string fields, or FastAPI-style validation errors."""
    if not body.strip():
        return {}, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
    try:
        request = json.loads(body)
    except ValueError as error:
        position = getattr(error, "pos", 0)
        return {}, [
            {
                "type": "json_invalid",
                "loc": ["body", position],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": getattr(error, "msg", str(error))},
            }
        ]
    if not isinstance(request, dict):
        return {}, [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": request,
            }
        ]
    errors = [problem for field in fields if (problem := _field_error(request, field))]
    return request, errors


def _field_error(request: dict[str, Any], field: str) -> dict[str, Any] | None:
    if field not in request:
        return {
            "type": "missing",
            "loc": ["body", field],
            "msg": "Field required",
            "input": request,
        }
    value = request[field]
    if not isinstance(value, str):
        # Like pydantic: a number is not coerced into a string field.
        return {
            "type": "string_type",
            "loc": ["body", field],
            "msg": "Input should be a valid string",
            "input": value,
        }
    if field == "limit" and not _INTEGER.fullmatch(value):
        return {
            "type": "value_error",
            "loc": ["body", field],
            "msg": 'Value error, limit must be a whole number written as a string, such as "-1"',
            "input": value,
        }
    return None
