"""One exception per failure a user must tell apart, each with a message that says what to do.

`convai_message` keeps Convai's own words (shown to the user as they are); `str(error)` is our
explanation. Neither ever contains the API key.
"""

from __future__ import annotations


class ConvaiError(Exception):
    advice = "Try again later."

    def __init__(self, explanation: str, *, convai_message: str = "", status: int | None = None):
        super().__init__(explanation)
        self.explanation = explanation
        self.convai_message = convai_message
        self.status = status

    @property
    def user_message(self) -> str:
        said = f' Convai said: "{self.convai_message}"' if self.convai_message else ""
        return f"{self.explanation}{said} {self.advice}".strip()


class InvalidApiKey(ConvaiError):
    advice = "Check the key in your Convai account and update it under API keys."


class RequestRejected(ConvaiError):
    """Convai answered with an error object we cannot classify further."""

    advice = "If it persists, quote the message to Convai support."


class CharacterNotAccessible(RequestRejected):
    advice = "Check the character ID, and that it belongs to the account of this API key."


class RateLimited(ConvaiError):
    def __init__(self, explanation: str, *, retry_after: float | None = None, **kwargs: object):
        super().__init__(explanation, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after

    @property
    def advice(self) -> str:  # type: ignore[override]
        if self.retry_after is not None:
            seconds = max(1, round(self.retry_after))
            return f"Try again in {seconds} second{'' if seconds == 1 else 's'}."
        return "Wait a minute, then try again."


class ConvaiUnavailable(ConvaiError):
    advice = "Stored history is still readable; try again in a few minutes."


class ConvaiTimeout(ConvaiUnavailable):
    pass


class UnexpectedResponse(ConvaiError):
    advice = "The API may have changed or a proxy is in the way; nothing was stored from it."
