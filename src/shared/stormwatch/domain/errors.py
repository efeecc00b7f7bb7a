"""Domain errors. They say what went wrong in domain terms; the API layer alone maps them to HTTP."""

from typing import Any


class DomainError(Exception):
    """Base of every error a caller can be told about."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """The request names a field that is missing, of the wrong type or out of range."""

    @classmethod
    def naming(cls, problems: list[dict[str, str]]) -> "InvalidInput":
        """The error of `problems` (each `{field, problem}`), its message naming the first."""
        return cls(f"{problems[0]['field']}: {problems[0]['problem']}", details=problems)


class PayloadTooLarge(DomainError):
    """The body is larger than Stormwatch accepts."""


class UnsupportedMediaType(DomainError):
    """The body is declared in a format the endpoint does not read."""


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not verify (integration key, token)."""


class Forbidden(DomainError):
    """The caller is known but its role does not allow the action."""


class NotFound(DomainError):
    """No such thing in the caller's org (which includes things that belong to another org)."""


class Conflict(DomainError):
    """The action does not fit the current state (a status move that is not allowed, an active duplicate)."""


class PreconditionFailed(DomainError):
    """The caller asked to act only on a version of the incident that is no longer current (If-Match)."""


class ConcurrentModification(DomainError):
    """Someone else changed the item between read and write; the caller may re-read and try again."""


class TemporarilyUnavailable(DomainError):
    """The store throttled or kept conflicting after retries: nothing was half-written, try again later."""
