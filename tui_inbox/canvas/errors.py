"""One exception hierarchy for everything Canvas (or the network) can answer.

Real Canvas has five error shapes (canvas-api.md section 7 and the last section);
each becomes one of these classes, and every one carries a one-line message fit to
show a user, with what to do next. None ever contains the token.
"""

from __future__ import annotations


class CanvasError(Exception):
    """Base class. ``str(error)`` is a one-line message for the user."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class ConfigurationError(CanvasError):
    """The client was set up with something it must refuse (an insecure URL, say)."""


class ForeignOriginError(CanvasError):
    """A link or redirect pointed away from the configured Canvas: refused, nothing was sent."""


class AuthError(CanvasError):
    """401: the token is missing, invalid, expired or revoked."""

    status = 401


class SignInNeeded(AuthError):
    """Canvas will not renew this sign-in any more (it was revoked, or the school's developer key
    was turned off): only signing in again helps. The app goes on from its cache meanwhile."""


SIGN_IN_AGAIN = "sign in again with `tui-inbox login`"


class PermissionDenied(CanvasError):
    """401/403 "user not authorized to perform that action", or a refusal such as a concluded course."""

    status = 401


class MasqueradeRefused(PermissionDenied):
    """401 "Invalid as_user_id": the user named does not exist, or the token may not act as users."""


class NotFoundError(CanvasError):
    status = 404


class ValidationError(CanvasError):
    """400: Canvas refused the input. ``field`` names what was wrong, when Canvas says."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, errors: list[tuple[str, str]] | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.field = field
        self.errors = errors or []


class ThrottledError(CanvasError):
    """403 "Rate Limit Exceeded" or 429: Canvas asks us to slow down."""

    status = 403


class ServerError(CanvasError):
    """5xx, or an answer that cannot be understood (malformed JSON from a proxy, say)."""

    status = 500


# How an unanswered request starts its message: the app takes such a line away once Canvas answers again.
UNREACHABLE = "Cannot reach Canvas"


class NetworkError(CanvasError):
    """No answer: connection refused, reset, timed out, or DNS failure."""

    status = None

    def __init__(self, message: str, *, sent: bool, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # "connection refused", "unknown host"...: for a message worded elsewhere (init)
        # Whether the request may have reached the server: if so, a POST must not be resent blindly.
        self.sent = sent


class BadRow(ServerError):
    """An item of an answer that cannot be used: its id is not a whole number from 1 to 2**63 - 1.
    In a listing it is left out (canvas/rows.py says so in one line); alone, it is the error."""


class ResponseTooLarge(ServerError):
    """An answer bigger than the client accepts (a broken or hostile server): refused before it fills memory or disk."""


class DeadlineExceeded(NetworkError):
    """An answer that did not finish within the request's deadline (a stalled or dripping server)."""

    def __init__(self, message: str) -> None:
        # The request left: a POST may have arrived, so it must be checked, not resent blindly.
        super().__init__(message, sent=True)


class DownloadError(CanvasError):
    """A file that arrived but could not be saved (the folder is a file, the disk is full...)."""


class UncertainDelivery(CanvasError):
    """A write whose outcome could not be established even after checking: the user decides."""
