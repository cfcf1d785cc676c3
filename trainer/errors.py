"""Domain errors that services raise and views turn into messages.

Each carries a Japanese message fit to show a user, and optionally the form field it belongs to.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules do not allow; nothing has been changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record does not exist, or is not visible to this user."""


class Conflict(DomainError):
    """The change clashes with existing data (a duplicate name, an ended membership)."""


class InvalidToken(DomainError):
    """A link token is unknown, used or expired."""
