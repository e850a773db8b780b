"""Assembles the sandbox's Starlette application from its route modules and middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from .state import Knobs, SandboxState


def route_modules():
    # Imported here so that building a state for a script does not load every handler.
    from . import batch_update, compose_api, conversations_api

    return [conversations_api, compose_api, batch_update]


def build_app(state: SandboxState) -> Starlette:
    routes: list[BaseRoute] = []
    for module in route_modules():
        routes.extend(module.routes)

    async def not_routed(request, exc):
        return JSONResponse({"errors": [{"message": "The specified resource does not exist."}]}, status_code=404)

    app = Starlette(routes=routes, middleware=middleware(state), exception_handlers={404: not_routed, 405: not_routed})
    app.state.sandbox = state
    return app


def middleware(state: SandboxState) -> list[Middleware]:
    return []


def create_app(knobs: Knobs | None = None) -> Starlette:
    """A seeded sandbox app, e.g. for ``httpx.ASGITransport``."""
    from .seed import seed_state

    state = SandboxState(knobs or Knobs())
    seed_state(state)
    return build_app(state)
