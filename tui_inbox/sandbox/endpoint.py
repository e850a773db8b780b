"""The frame every API handler runs in: authenticate, read parameters, map failures.

Handlers receive a ``Call`` and return a response. Whatever goes wrong inside comes
back in the shape real Canvas uses, never as a traceback.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from . import errors, string_ids
from .conversations import NotParticipating
from .events import Origin
from .params import BadJSON, Params
from .state import SandboxState
from .world import User

log = logging.getLogger("tui_inbox.sandbox")


class NotFound(Exception):
    """Anything the user may not see or that does not exist: Canvas's 404."""


@dataclass(slots=True)
class Call:
    request: Request
    state: SandboxState
    user: User
    params: Params

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def origin(self) -> Origin:
        req = self.request
        return Origin(
            user=self.user,
            hostname=req.url.netloc,
            http_method=req.method,
            url=str(req.url.remove_query_params("access_token")),
            client_ip=req.client.host if req.client else "127.0.0.1",
            user_agent=req.headers.get("user-agent", ""),
        )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query_params.get("access_token")


def authenticate(request: Request, state: SandboxState) -> User | Response:
    token = bearer_token(request)
    if token is None:
        return errors.unauthenticated()
    user = state.world.by_token.get(token)
    if user is None:
        return errors.invalid_token()
    return user


Handler = Callable[[Call], Awaitable[Response]]


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        user = authenticate(request, state)
        if isinstance(user, Response):
            return user
        try:
            params = await Params.read(request)
        except BadJSON:
            return errors.errors_message("The request body is not valid JSON.")
        try:
            response = await handler(Call(request, state, user, params))
        except (NotFound, NotParticipating):
            return errors.not_found()
        except Exception:  # Canvas answers any other failure with its generic error body.
            log.exception("sandbox handler failed: %s %s", request.method, request.url.path)
            response = errors.internal_error()
        return string_ids.restyle(response) if string_ids.wanted(request) else response

    return endpoint


def path_int(call: Call, name: str) -> int:
    """A numeric path id; anything else is a 404, as Rails' find raises."""
    raw = call.request.path_params.get(name, "")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound(raw) from None
