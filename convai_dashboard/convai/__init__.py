"""The one place that talks to Convai: HTTP, the API contract, retries, and typed answers."""

from convai_dashboard.convai.client import ConvaiClient
from convai_dashboard.convai.errors import (
    CharacterNotAccessible,
    ConvaiError,
    ConvaiTimeout,
    ConvaiUnavailable,
    InvalidApiKey,
    RateLimited,
    RequestRejected,
    UnexpectedResponse,
)
from convai_dashboard.convai.records import (
    CharacterInfo,
    Entries,
    Interaction,
    SessionSummary,
    Skipped,
    Turn,
)

__all__ = [
    "CharacterInfo",
    "CharacterNotAccessible",
    "ConvaiClient",
    "ConvaiError",
    "ConvaiTimeout",
    "ConvaiUnavailable",
    "Entries",
    "Interaction",
    "InvalidApiKey",
    "RateLimited",
    "RequestRejected",
    "SessionSummary",
    "Skipped",
    "Turn",
    "UnexpectedResponse",
]
