"""``GET /api/v1/accounts/:account_id/permissions``: which of the named rights the caller holds on the account.

Canvas (AccountsController#permissions) answers ``{"become_user": true, ...}`` for the
``permissions[]`` asked, about the calling user; ``self`` is the root account. Only someone
with a role in the account may ask (``authorized_action(@account, :read)``), so anyone
else is answered 401 "unauthorized". ``tui-inbox relay --check`` asks it whether the admin
token may act as users, which a masquerade as oneself cannot tell (it is always allowed).
The sandbox's admin holds every account right; nobody else holds any.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .endpoint import Call, api
from .events import ROOT_ACCOUNT_ID


@api
async def account_permissions(call: Call) -> Response:
    if call.request.path_params["account_id"] not in ("self", ROOT_ACCOUNT_ID):
        return errors.not_found()
    if not call.user.may_masquerade:
        return errors.unauthorized()
    asked = call.params.list("permissions") or ()
    return JSONResponse({name: True for name in asked})


routes = [Route("/api/v1/accounts/{account_id}/permissions", account_permissions, methods=["GET"])]
