"""What changed, and when: the live-event stream and the unread_count poller.

``LiveFeed`` is the one thing the rest of the app uses: an async iterator of
``Change`` objects plus an observable ``FeedStatus`` for the status bar. The
contract it implements is /work/shared/live-stream.md. Never imports Textual,
the UI or the sandbox (see tests/core/test_architecture.py).
"""

from .backoff import Backoff
from .feed import Change, LiveFeed
from .poller import UnreadPoller
from .state import FeedState, FeedStatus, Status
from .stream import AUTH_REFUSED, LiveStream, StreamSettings, checked_live_url, parse_frame, read_frame

__all__ = [
    "AUTH_REFUSED", "Backoff", "Change", "FeedState", "FeedStatus", "LiveFeed", "LiveStream", "Status",
    "StreamSettings", "UnreadPoller", "checked_live_url", "parse_frame", "read_frame",
]
