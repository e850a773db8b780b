"""The async Canvas REST client: typed models, errors, pagination, throttling, uploads.

Never imports Textual, the UI or the sandbox (see the import contract test).
"""

from .client import CanvasClient, Created
from .errors import (AuthError, CanvasError, ConfigurationError, ForeignOriginError, NetworkError, NotFoundError,
                     PermissionDenied, ServerError, ThrottledError, UncertainDelivery, ValidationError)
from .http import RetryPolicy

__all__ = [
    "AuthError", "CanvasClient", "CanvasError", "ConfigurationError", "Created", "ForeignOriginError", "NetworkError",
    "NotFoundError", "PermissionDenied", "RetryPolicy", "ServerError", "ThrottledError", "UncertainDelivery",
    "ValidationError",
]
