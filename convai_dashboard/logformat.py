"""The JSON log format (python-json-logger), shared by Django's settings and gunicorn.conf.py so
that the application's lines and gunicorn's read alike: one JSON object a line, with `level`,
`logger`, `message`, `time` (ISO 8601, UTC) and any extras a record carries (`exc_info` as text)."""

from __future__ import annotations

from typing import Any

JSON_LOG_FORMATTER: dict[str, Any] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
}
