"""The one exception the emulator's backend raises; the app turns it into a response."""

from __future__ import annotations


class EmulatorError(Exception):
    """A request the emulated service refuses, with the HTTP status it answers.

    Attributes:
        status: HTTP status code (400, 404, 409, ...).
        message: What is wrong; sent as ``{"error": message}``.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


TOO_DEEP = "the request body is nested too deeply to be read as JSON"
"""The 400 message for a body whose nesting exceeds what the JSON parser recurses into."""
