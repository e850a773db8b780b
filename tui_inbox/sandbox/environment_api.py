"""``GET /api/v1/settings/environment``: the root account's settings the web interface reads.

app/controllers/accounts_controller.rb ``environment`` renders
``cached_js_env_account_settings`` (app/controllers/application_controller.rb): of the
names in ``js_env_root_account_settings``, those the root account has set. The four Inbox
switches are among them while the site-wide ``inbox_settings`` feature is on, which it is
on hosted Canvas. The sandbox's school has the signature block and the auto response on;
``Knobs.inbox_settings`` off is a school that turned both off.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .endpoint import Call, api


def environment_json(call: Call) -> dict:
    on = call.state.knobs.inbox_settings
    return {
        "calendar_contexts_limit": 10,
        "open_registration": False,
        "enable_inbox_signature_block": on,
        "disable_inbox_signature_block_for_students": False,
        "enable_inbox_auto_response": on,
        "disable_inbox_auto_response_for_students": False,
    }


@api
async def environment(call: Call) -> Response:
    return JSONResponse(environment_json(call))


routes = [Route("/api/v1/settings/environment", environment, methods=["GET"])]
