"""The async Canvas REST client: typed models, errors, pagination, throttling, uploads.

Never imports Textual, the UI or the sandbox (see the import contract test).
"""

from .client import CanvasClient, Created
from .errors import (AuthError, CanvasError, ConfigurationError, DeadlineExceeded, DownloadError, ForeignOriginError,
                     MasqueradeRefused, NetworkError, NotFoundError, PermissionDenied, ResponseTooLarge, ServerError, ThrottledError,
                     UncertainDelivery, ValidationError)
from .http import RetryPolicy

__all__ = [
    "AuthError", "CanvasClient", "CanvasError", "ConfigurationError", "Created", "DeadlineExceeded", "DownloadError",
    "ForeignOriginError", "MasqueradeRefused", "NetworkError", "NotFoundError", "PermissionDenied", "ResponseTooLarge", "RetryPolicy",
    "ServerError", "ThrottledError", "UncertainDelivery", "ValidationError",
]
