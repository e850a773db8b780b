"""Everything one running sandbox knows: people, conversations, files, topics, jobs, events."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from .clock import Clock
from .conversations import ConversationStore
from .data_services import DataServices
from .event_history import EventHistory
from .events import EventHub
from .inbox_settings import InboxSettingsStore
from .institution import institution
from .jwks import KeyRing
from .oauth_state import OAuthProvider
from .progress import ProgressStore
from .world import World


@dataclass
class Knobs:
    """Behaviour switches for demos, tests and benchmarks (the command's flags)."""

    seed: int = 1
    # Which Canvas this is (institution.py): 1 the seeded school, 2 a second, different one.
    institution: int = 1
    conversations: int = 0  # extra conversations in the teacher's inbox
    # One more conversation in the teacher's inbox, the newest, holding this many messages
    # (0: none): the long thread the thread view and the indexer must stay quick with.
    long_thread: int = 0
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    throttle: bool = False
    activity: float = 0.0  # seconds between simulated actions; 0 = quiet
    now: datetime | None = None  # fixed start of the clock, for reproducible runs
    # Leaky bucket (canvas-api.md section 7); tests shrink these to reach the limit quickly.
    throttle_hwm: float = 600.0
    throttle_max: float = 800.0
    throttle_leak: float = 10.0
    throttle_upfront: float = 50.0
    # How long a batch update takes per conversation, so Progress visibly advances.
    batch_item_seconds: float = 0.0002
    # How long an async bulk send (a ConversationBatch) takes per recipient: 150 students take
    # about a second and a half, long enough to watch its progress in /conversations/batches.
    send_item_seconds: float = 0.01
    # BIO 101 filled up to this many students (0: the seed's own); 150 is a course Canvas
    # wants messaged with bulk_message (over 100 members).
    course_students: int = 0
    # N more classes around the seeded school, each with its teacher and about 40 students (school.py).
    school: int = 0
    # Canvas Data Services (data_services.py): POST every event to this URL, None: off.
    data_services_url: str | None = None
    ds_sign: bool = True  # "Sign Payload": a JWT signed RS256; off: the plain event JSON
    ds_quoted_rate: float = 0.0  # fraction of signed bodies sent as a JSON string (the JWT in quotes)
    ds_duplicate_rate: float = 0.0  # fraction of events delivered twice, as Canvas's retries do
    ds_delay_ms: float = 0.0  # each event waits this long before its first try
    ds_retry_base_seconds: float = 120.0  # the first retry's wait; each later one doubles (tests: 0.05)
    ds_timeout_seconds: float = 15.0  # no complete answer within this: the try failed (Canvas's 15 s)
    ds_concurrency: int = 8  # POSTs in flight at once
    ds_queue_limit: int = 100_000  # events pending at once; beyond it they are dropped and counted
    # OAuth2 (oauth_state.py): how long an access token lasts before it must be refreshed (Canvas: an hour).
    oauth_token_seconds: float = 3600.0
    # The root account's restrict_personal_access_tokens_from_students: students and observers have
    # no personal token (they may not make one); OAuth sign-in still works for them.
    restrict_student_tokens: bool = False
    # The root account's Inbox switches (environment_api.py): signature block and auto response.
    inbox_settings: bool = True
    # The live stream's history, for clients that resume with Last-Event-ID (event_history.py):
    # events are kept this long (the contract's 15 minutes; tests shrink it), and at most this many.
    live_history_seconds: float = 900.0
    live_history_events: int = 10_000


class SandboxState:
    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.institution = institution(knobs.institution)
        self.clock = Clock(knobs.now)
        self.world = World()
        self.conversations = ConversationStore(self.clock.now)
        self.progress = ProgressStore(self.clock.now)
        self.inbox_settings = InboxSettingsStore(self.clock.now)  # signature, out of office (inbox_settings.py)
        self.hub = EventHub(EventHistory(self.clock.monotonic, knobs.live_history_seconds, knobs.live_history_events))
        # How often each unknown token was tried, by its SHA-256 (never the token): what a relay
        # that caches refusals spares Canvas (endpoint.token_owner counts).
        self.unknown_tokens: Counter[str] = Counter()
        self.oauth = OAuthProvider(knobs.seed, self.clock.now, knobs.oauth_token_seconds, self.institution)
        self.keys = KeyRing()  # Data Services' signing keys, served at /data_services/jwks
        self.data_services = DataServices(lambda: self.knobs, self.keys)
        self.hub.taps.append(self.data_services.offer)  # every event, whatever its audience
        # Filled in by their own modules when the app is built (files.py, discussions.py).
        self.files = None
        self.discussions = None
        self.batches: dict[int, "object"] = {}
        self.tasks: set[asyncio.Task] = set()
        self.requests: Counter = Counter()  # (method, path): how many reached it (request_count.py)
        self.hostname = "127.0.0.1"  # host:port the server answers on, for event metadata
        self.demo_user_id = 0  # set by the seed: the teacher whose inbox is seeded
        self.school_teachers: list[int] = []  # --school's teachers (school.py), set by the seed

    def personal_token_allowed(self, user) -> bool:
        """access_token.rb's policy: with the restriction on, someone who is only a student or an
        observer may not have a personal token."""
        return not (self.knobs.restrict_student_tokens and user.role in ("student", "observer"))

    def now(self) -> datetime:
        return self.clock.now()

    def spawn(self, coro) -> asyncio.Task:
        """Run background work (batch jobs, async sends) and keep it referenced until done."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
