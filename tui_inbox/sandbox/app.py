"""Assembles the sandbox's Starlette application from its route modules and middleware."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from .state import Knobs, SandboxState


def route_modules():
    # Imported here so that building a state for a script does not load every handler.
    from . import batch_update, compose_api, conversations_api
    from . import files_api, search_api, users_api
    from . import discussions_api, jwks, media_api, oauth_api, stream
    from . import account_permissions, environment_api, graphql_api

    return [conversations_api, compose_api, batch_update, files_api, search_api, users_api, stream, discussions_api,
            media_api, jwks, oauth_api, environment_api, graphql_api, account_permissions]


def build_app(state: SandboxState) -> Starlette:
    routes: list[BaseRoute] = []
    for module in route_modules():
        routes.extend(module.routes)

    async def not_routed(request, exc):
        return JSONResponse({"errors": [{"message": "The specified resource does not exist."}]}, status_code=404)

    app = Starlette(routes=routes, middleware=middleware(state), exception_handlers={404: not_routed, 405: not_routed},
                    lifespan=lifespan(state))
    app.state.sandbox = state
    return app


def lifespan(state: SandboxState):
    """Background work that lives exactly as long as the server (the simulated activity, Data Services)."""

    @asynccontextmanager
    async def run(app):
        from . import activity

        task = activity.start(state)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            await state.data_services.stop()

    return run


def middleware(state: SandboxState) -> list[Middleware]:
    # The first wraps the rest: the format suffix comes off before anything looks at the
    # path; then faults (latency, failures) outside the throttle, so the throttle's 403s
    # are delayed too and a 503 "from the load balancer" costs nothing; the request id
    # between them, as Canvas's own answers (a throttled 403 too) carry one and the
    # load balancer's do not. Requests are counted as they arrive, before any fault
    # (request_count.py: what a client asked, as a server log would show it).
    from .faults import FaultsMiddleware
    from .format_suffix import FormatSuffixMiddleware
    from .request_context import RequestContextMiddleware
    from .request_count import RequestCountMiddleware
    from .throttle import ThrottleMiddleware

    return [Middleware(FormatSuffixMiddleware), Middleware(RequestCountMiddleware, counts=state.requests),
            Middleware(FaultsMiddleware, state=state),
            Middleware(RequestContextMiddleware), Middleware(ThrottleMiddleware, state=state)]


def create_app(knobs: Knobs | None = None) -> Starlette:
    """A seeded sandbox app, e.g. for ``httpx.ASGITransport``."""
    from .seed import seed_state

    state = SandboxState(knobs or Knobs())
    seed_state(state)
    return build_app(state)
