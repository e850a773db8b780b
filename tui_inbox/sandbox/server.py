"""Running the sandbox: in a background thread of this process, or as the ``sandbox`` command."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import uvicorn

from ..event_loops import new_event_loop
from ..serving import PromptServer, bind, call_on, serve_command, url_host
from .app import build_app
from .jwks import JWKS_PATH
from .seed import seed_state
from .state import Knobs, SandboxState


@dataclass
class SandboxInfo:
    base_url: str
    live_url: str
    users: list[dict]
    jwks_url: str = ""  # the keys that sign Data Services deliveries
    data_services_url: str | None = None  # where every event is POSTed, if anywhere
    developer_key: dict | None = None  # the OAuth2 client: client_id, client_secret, redirect_uris, redirect_uri (legacy)
    institution: dict | None = None  # which Canvas this is: {"id": N, "name": ...}

    def as_json(self) -> dict:
        line = {"institution": self.institution} if self.institution else {}
        line |= {"base_url": self.base_url, "live_url": self.live_url, "jwks_url": self.jwks_url}
        if self.data_services_url:
            line["data_services_url"] = self.data_services_url
        if self.developer_key:
            line["developer_key"] = self.developer_key
        line["users"] = self.users  # last: the long part
        return line

    def token_of(self, role: str, index: int = 0) -> str:
        return [u for u in self.users if u["role"] == role][index]["token"]


def listed_users(state: SandboxState) -> list[dict]:
    """The seeded teacher first, then everyone else by id."""
    users = sorted(state.world.users.values(), key=lambda u: (u.id != state.demo_user_id, u.id))
    return [{"id": u.id, "name": u.name, "role": u.role,
             "token": u.token if state.personal_token_allowed(u) else None,  # none may be made
             "login_id": u.login, "password": state.oauth.password_of(u)} for u in users]


class RunningSandbox:
    """A sandbox served from a daemon thread; ``stop()`` (or leaving ``with``) shuts it down."""

    def __init__(self, knobs: Knobs | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = SandboxState(knobs or Knobs())
        seed_state(self.state)
        self.app = build_app(self.state)
        self._sock = bind(host, port)
        bound_port = self._sock.getsockname()[1]
        base = f"http://{url_host(host)}:{bound_port}"
        self.state.hostname = f"{url_host(host)}:{bound_port}"
        self.info = SandboxInfo(base, f"ws://{url_host(host)}:{bound_port}/live", listed_users(self.state),
                                jwks_url=base + JWKS_PATH, data_services_url=self.state.knobs.data_services_url,
                                developer_key=self.state.oauth.key.as_json(),
                                institution={"id": self.state.institution.id, "name": self.state.institution.name})
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="on", ws="websockets-sansio",
            timeout_graceful_shutdown=2, ws_ping_interval=20, ws_ping_timeout=20,  # /live keepalive
        )
        self._server = PromptServer(config)
        self._server.install_signal_handlers = lambda: None  # the owner of the process decides
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return self.info.base_url

    @property
    def live_url(self) -> str:
        return self.info.live_url

    def start(self, timeout: float = 15.0) -> "RunningSandbox":
        def serve() -> None:
            self.loop = new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._server.serve(sockets=[self._sock]))
            self.loop.close()

        self._thread = threading.Thread(target=serve, name="sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the server's loop (state is only touched there) and return its result."""
        return call_on(self.loop, fn, *args)

    def requests(self) -> dict[tuple[str, str], int]:
        """How many requests reached it so far, by (method, path), read on the server's loop."""
        return self.call(lambda: dict(self.state.requests))

    def data_services_stats(self) -> dict:
        """The Data Services sender's counters (delivered, retried, dropped, ...), read on the server's loop."""
        return self.call(self.state.data_services.stats.snapshot)

    def revoke_tokens(self, user_id: int) -> int:
        """Delete every OAuth token a user holds (their refresh token too), as the user or an admin
        would under Approved Integrations; returns how many were live."""
        return self.call(self.state.oauth.revoke_user, user_id)

    def expire_tokens(self, user_id: int | None = None) -> int:
        """End the hour of every live access token (a user's, or all) now, without moving the clock."""
        return self.call(self.state.oauth.expire_now, user_id)

    def set_key_active(self, active: bool) -> None:
        """Turn the developer key off (or on again), as an admin does under Developer Keys: while it is
        off, its tokens are refused and the token endpoint answers invalid_client."""
        def switch() -> None:
            self.state.oauth.key.active = active

        self.call(switch)

    def grant_types(self) -> list[str]:
        """The grant_type of every token request the sandbox answered, in order."""
        return self.call(list, self.state.oauth.grants)

    def rotate_keys(self) -> str:
        """Data Services' monthly key rotation, now; returns the new current kid."""
        return self.call(self.state.keys.rotate)

    def stop(self) -> None:
        self._server.exit_now()
        if self._thread is not None:
            self._thread.join(10)
        try:
            self._sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RunningSandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(knobs: Knobs, host: str, port: int) -> int:
    """The ``tui-inbox sandbox`` command: print the JSON line, serve until SIGINT or SIGTERM."""
    sandbox = RunningSandbox(knobs, host, port)

    def start() -> dict:
        sandbox.start()
        return sandbox.info.as_json()

    serve_command(start, sandbox.stop)
    return 0
