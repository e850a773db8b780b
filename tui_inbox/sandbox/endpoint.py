"""The frame every API handler runs in: authenticate, read parameters, map failures.

Handlers receive a ``Call`` and return a response. Whatever goes wrong inside comes
back in the shape real Canvas uses, never as a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from . import errors, string_ids
from .conversations import NotParticipating
from .events import Origin
from .oauth_state import classify
from .params import BadJSON, Params
from .request_context import request_id_of
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
    # The admin behind an ``as_user_id`` request (``user`` is whom they act as), else None:
    # Canvas's @real_current_user.
    real_user: User | None = None

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def origin(self) -> Origin:
        req = self.request
        origin = Origin(
            user=self.user,
            hostname=req.url.netloc,
            http_method=req.method,
            url=str(req.url.remove_query_params("access_token")),
            client_ip=req.client.host if req.client else "127.0.0.1",
            user_agent=req.headers.get("user-agent", ""),
            institution=self.state.institution,
            real_user=self.real_user,
        )
        # The id on this request's answer (request_context.py), so its events name it too.
        request_id = request_id_of(req.scope)
        if request_id is not None:
            origin.request_id = request_id
        return origin


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query_params.get("access_token")


_FROM_QUERY = object()
UNKNOWN_TOKENS_COUNTED = 100_000  # a flood against the demo must not grow it for ever
GLOBAL_ID_BASE = 10**13


def authenticate(request: Request, state: SandboxState, as_user_id: str | None | object = _FROM_QUERY) -> User | Response:
    """The user a request is answered as: the token's owner, or whom an admin acts as.

    ``as_user_id`` defaults to the query string's (all a websocket handshake has); the API
    passes the parameter it read from the query or the form, as Rails' ``params`` does.
    """
    token = bearer_token(request)
    if token is None:
        return errors.unauthenticated()
    user = token_owner(state, token)
    if isinstance(user, Response):
        return user
    if as_user_id is _FROM_QUERY:
        as_user_id = request.query_params.get("as_user_id")
    return masquerade(state, user, as_user_id)  # type: ignore[arg-type]


def token_owner(state: SandboxState, token: str) -> User | Response:
    """The user a personal or OAuth access token belongs to, or Canvas's 401 for it."""
    user = state.world.by_token.get(token)
    if user is not None:
        return user if state.personal_token_allowed(user) else errors.invalid_token()
    seen = classify(state.oauth, token)
    if seen is None:
        if len(state.unknown_tokens) < UNKNOWN_TOKENS_COUNTED:
            state.unknown_tokens[hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()] += 1
        return errors.invalid_token()
    if seen.problem == "expired":
        return errors.expired_token()
    if seen.problem == "revoked":
        return errors.revoked_token()
    return state.world.users[seen.user_id]


def _names_someone(as_user_id: str | None) -> bool:
    return as_user_id is not None and bool(str(as_user_id).strip())


def masquerade(state: SandboxState, user: User, as_user_id: str | None) -> User | Response:
    """Canvas's ``load_user``: an admin becomes the named user; anyone else naming someone
    else, or anyone naming nobody, gets 401 "Invalid as_user_id" (Canvas answers an unknown
    user with 401 too, not 404: "this should maybe be 404, but we can't change it now")."""
    if not _names_someone(as_user_id):
        return user  # Rails' .presence: an empty value means no masquerade
    target = state.world.users.get(_local_user_id(state, str(as_user_id).strip()))
    if target is not None and (target.id == user.id or user.may_masquerade):
        return target
    return errors.invalid_as_user_id()


def _local_user_id(state: SandboxState, raw: str) -> int | None:
    """A local id, or a global one of this shard (shard * 10**13 + local), as Canvas's api_find accepts."""
    if not raw.isdigit():
        return None  # sis_user_id:..., login_id:...: the seeded users have none the sandbox resolves
    number = int(raw)
    if number >= GLOBAL_ID_BASE:
        return state.institution.local_id(number)
    return number


Handler = Callable[[Call], Awaitable[Response]]


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        # The token first (a bad one is refused before the body is read), then whom it acts as,
        # which may also come in the form or JSON body.
        user = authenticate(request, state, as_user_id=None)
        if isinstance(user, Response):
            return user
        try:
            params = await Params.read(request)
        except BadJSON:
            return errors.parse_error()
        signed_in = user
        user = masquerade(state, user, params.get("as_user_id"))
        if isinstance(user, Response):
            return user
        # load_user sets @real_current_user whenever it accepts an as_user_id, even one
        # naming the token's owner (User#can_masquerade? is true for oneself).
        real_user = signed_in if _names_someone(params.get("as_user_id")) else None
        try:
            response = await handler(Call(request, state, user, params, real_user))
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
