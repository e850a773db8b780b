"""The error answers of real Canvas, one function per shape (canvas-api.md section 7)."""

from __future__ import annotations

import itertools

from starlette.responses import JSONResponse, PlainTextResponse, Response

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}
_error_reports = itertools.count(1000)


def not_found() -> JSONResponse:
    return JSONResponse({"errors": [{"message": "The specified resource does not exist."}]}, status_code=404)


def invalid_token() -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": "Invalid access token."}]}, status_code=401, headers=WWW_AUTHENTICATE
    )


def expired_token() -> JSONResponse:
    """An OAuth access token past its hour (access_token.rb ``needs_refresh?``): the client refreshes."""
    return JSONResponse(
        {"errors": [{"message": "Expired access token."}]}, status_code=401, headers=WWW_AUTHENTICATE
    )


def revoked_token() -> JSONResponse:
    """A token deleted since it was issued (signed out, or removed under Approved Integrations)."""
    return JSONResponse(
        {"errors": [{"message": "Revoked access token."}]}, status_code=401, headers=WWW_AUTHENTICATE
    )


def unauthenticated() -> JSONResponse:
    return JSONResponse(
        {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]},
        status_code=401,
        headers=WWW_AUTHENTICATE,
    )


def invalid_as_user_id() -> JSONResponse:
    """Masquerading refused (not an admin, or no such user): ``errors`` is a bare string here."""
    return JSONResponse({"errors": "Invalid as_user_id"}, status_code=401)


def unauthorized(*, signed_in: bool = True) -> JSONResponse:
    """A known user without the rights; Canvas adds the challenge only when nobody signed in (AM)."""
    return JSONResponse(
        {"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]},
        status_code=401,
        headers={} if signed_in else WWW_AUTHENTICATE,
    )


def attribute_errors(*pairs: tuple[str, str], status: int = 400) -> JSONResponse:
    """The top-level array shape of create, add_message and add_recipients."""
    return JSONResponse([{"attribute": a, "message": m} for a, m in pairs], status_code=status)


def validation_errors(field: str, *messages: dict) -> JSONResponse:
    """Model validation: ``{"errors": {field: [...]}}``."""
    return JSONResponse({"errors": {field: list(messages)}}, status_code=400)


def message_error(message: str, status: int = 400) -> JSONResponse:
    """The ``{"message": ...}`` shape of batch update."""
    return JSONResponse({"message": message}, status_code=status)


def errors_message(message: str, status: int = 400) -> JSONResponse:
    """``{"errors": [{"message": ...}]}`` for a missing required parameter."""
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


def internal_error() -> JSONResponse:
    return JSONResponse(
        {
            "errors": [{"message": "An error occurred.", "error_code": "internal_server_error"}],
            "error_report_id": next(_error_reports),
        },
        status_code=500,
    )


def parse_error() -> JSONResponse:
    """A body Rails cannot parse (``ActionDispatch::Http::Parameters::ParseError``): raised
    when the controller first reads ``params``, rescued by ApplicationController's
    ``rescue_action_in_api`` with the generic body, its ``error_code`` the status's name."""
    return JSONResponse(
        {
            "errors": [{"message": "An error occurred.", "error_code": "bad_request"}],
            "error_report_id": next(_error_reports),
        },
        status_code=400,
    )


def unavailable() -> Response:
    return PlainTextResponse("503 Service Unavailable\n", status_code=503)


def rate_limited() -> Response:
    return PlainTextResponse(
        "403 Forbidden (Rate Limit Exceeded)\n",
        status_code=403,
        headers={"X-Rate-Limit-Remaining": "0.0"},
    )
