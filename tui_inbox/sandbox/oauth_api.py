"""Canvas's OAuth2 endpoints: authorize, log in, confirm, the token exchange, and sign-out.

Read from canvas-lms ``app/controllers/oauth2_provider_controller.rb`` (``auth``, ``confirm``,
``accept``, ``deny``, ``token``, ``destroy``), ``lib/canvas/oauth/provider.rb`` (``final_redirect``:
the redirect_uri plus ``code`` and ``state``, or the out-of-band page), ``lib/canvas/oauth/grant_types/``
(``authorization_code.rb``, ``authorization_code_with_pkce.rb``, ``refresh_token.rb``) and
``lib/canvas/oauth/request_error.rb`` (the JSON errors). A browser's state lives in a session
cookie, as Canvas's ``_normandy_session``; forms carry the session's ``authenticity_token``.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from . import oauth_pages
from .endpoint import bearer_token, token_owner
from .oauth_state import OOB_URI, OAuthError, OAuthProvider, Session, invalid_secret, unknown_client
from .state import SandboxState

SESSION_COOKIE = "_normandy_session"
GRANT_TYPES = ("authorization_code", "refresh_token")


# -- sessions -------------------------------------------------------------
def _session(request: Request, provider: OAuthProvider) -> tuple[str, Session, bool]:
    """The browser's session, or a new one (True: its cookie must be set)."""
    sid = request.cookies.get(SESSION_COOKIE, "")
    found = provider.sessions.get(sid)
    if found is not None:
        return sid, found, False
    sid, found = provider.new_session()
    return sid, found, True


def _answer(response: Response, sid: str, new: bool) -> Response:
    if new:
        response.set_cookie(SESSION_COOKIE, sid, path="/", httponly=True, samesite="lax")
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302)


def _forged() -> Response:
    # protect_from_forgery with: :exception -> ActionController::InvalidAuthenticityToken, a 422.
    return PlainTextResponse("The authenticity token of this form is not valid: start signing in again.",
                             status_code=422)


def _final_redirect(session: Session, opts: dict) -> str:
    """provider.rb ``final_redirect``: the session's oauth2 part is spent either way."""
    redirect_uri = session.oauth2["redirect_uri"]
    session.oauth2 = None
    query = urlencode(sorted((k, v) for k, v in opts.items() if v is not None))  # Rails' to_query sorts
    if redirect_uri == OOB_URI:
        return "/login/oauth2/auth?" + query
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + query


def oauth_error(error: OAuthError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Canvas OAuth 2.0"} if error.status == 401 else {}
    return JSONResponse(error.as_json(), status_code=error.status, headers=headers)


def _key_for(provider: OAuthProvider, client_id: str | None):
    """provider.rb ``has_valid_key?``: an integer id naming an active key."""
    raw = (client_id or "").strip()
    if raw.isdigit() and int(raw) == provider.key.id and provider.key.active:
        return provider.key
    return None


# -- the browser's side ---------------------------------------------------
async def authorize(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    provider = state.oauth
    query = request.query_params
    if "code" in query or "error" in query:
        return HTMLResponse(oauth_pages.out_of_band(query.get("code"), query.get("error")))
    key = _key_for(provider, query.get("client_id"))
    if key is None:
        return oauth_error(unknown_client())  # before any redirect: the redirect_uri is not trusted yet
    redirect_uri = query.get("redirect_uri", "")
    if not (redirect_uri == OOB_URI or key.redirect_matches(redirect_uri)):
        return oauth_error(OAuthError("invalid_request", "redirect_uri does not match client settings"))
    sid, session, new = _session(request, provider)
    session.oauth2 = {
        "client_id": key.id, "redirect_uri": redirect_uri,
        "scopes": (query.get("scope") or query.get("scopes") or "").split(), "purpose": query.get("purpose"),
        "code_challenge": query.get("code_challenge"), "code_challenge_method": query.get("code_challenge_method"),
    }
    if "state" in query:
        session.oauth2["state"] = query["state"]
    answer_state = query.get("state")
    if query.get("response_type") != "code":
        return _answer(_redirect(_final_redirect(session, {
            "state": answer_state, "error": "unsupported_response_type",
            "error_description": "Only response_type=code is permitted"})), sid, new)
    prompt = query.get("prompt")
    if prompt is not None:
        # The key is not trusted and no token is reused, so "none" can never skip the pages.
        error = ("login_required", "prompt=none but there is no current session") if session.user_id is None else (
            "interaction_required", "prompt=none but a token cannot be granted without user interaction")
        if prompt != "none":
            error = ("unsupported_prompt_type", 'prompt must be "none" (or omitted)')
        return _answer(_redirect(_final_redirect(session, {
            "state": answer_state, "error": error[0], "error_description": error[1]})), sid, new)
    if session.user_id is not None and not query.get("force_login"):
        return _answer(_redirect("/login/oauth2/confirm"), sid, new)
    login = "/login/canvas"
    if query.get("unique_id"):
        login += "?" + urlencode({"pseudonym_session[unique_id]": query["unique_id"]})
    return _answer(_redirect(login), sid, new)


async def login_form(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    sid, session, new = _session(request, state.oauth)
    if session.user_id is not None and session.oauth2:
        return _answer(_redirect("/login/oauth2/confirm"), sid, new)
    unique_id = request.query_params.get("pseudonym_session[unique_id]", "")
    return _answer(HTMLResponse(oauth_pages.login(session.csrf, unique_id=unique_id)), sid, new)


async def login_submit(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    provider = state.oauth
    sid, session, new = _session(request, provider)
    form = await request.form()
    if new or form.get("authenticity_token") != session.csrf:
        return _answer(_forged(), sid, new)
    unique_id = str(form.get("pseudonym_session[unique_id]", ""))
    user = provider.check_login(state.world.users.values(), unique_id, str(form.get("pseudonym_session[password]", "")))
    if user is None:
        # Canvas answers a failed login with the form again, its message, and a 400.
        page = oauth_pages.login(session.csrf, unique_id=unique_id, error=oauth_pages.LOGIN_FAILED)
        return HTMLResponse(page, status_code=400)
    # A fresh session on login (Rails' reset_session: no fixation), keeping the OAuth request.
    del provider.sessions[sid]
    sid, fresh = provider.new_session()
    fresh.user_id, fresh.oauth2 = user.id, session.oauth2
    if fresh.oauth2:
        return _answer(_redirect("/login/oauth2/confirm"), sid, True)
    return _answer(HTMLResponse(oauth_pages.signed_in(user.name)), sid, True)


def _signed_in_with_request(request: Request) -> tuple[SandboxState, str, Session, bool, Response | None]:
    state: SandboxState = request.app.state.sandbox
    sid, session, new = _session(request, state.oauth)
    if not session.oauth2 or session.user_id is None:
        # oauth2_provider_controller.rb: accept and deny without a pending request are a 400.
        return state, sid, session, new, _answer(
            PlainTextResponse("Invalid or missing session for oauth", status_code=400), sid, new)
    return state, sid, session, new, None


async def confirm(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    sid, session, new = _session(request, state.oauth)
    if not session.oauth2:
        return _answer(_redirect("/login/canvas"), sid, new)  # "Must submit new OAuth2 request"
    if session.user_id is None:
        return _answer(_redirect("/login/canvas"), sid, new)
    page = oauth_pages.confirm(session.csrf, app_name=state.oauth.key.name,
                               user_name=state.world.users[session.user_id].short_name)
    return _answer(HTMLResponse(page), sid, new)


async def accept(request: Request) -> Response:
    state, sid, session, new, refused = _signed_in_with_request(request)
    if refused is not None:
        return refused
    form = await request.form()
    if form.get("authenticity_token") != session.csrf:
        return _answer(_forged(), sid, new)
    code = state.oauth.issue_code(session.user_id, session.oauth2)
    return _answer(_redirect(_final_redirect(session, {"code": code, "state": session.oauth2.get("state")})), sid, new)


async def deny(request: Request) -> Response:
    state, sid, session, new, refused = _signed_in_with_request(request)
    if refused is not None:
        return refused
    target = _final_redirect(session, {"error": "access_denied", "state": session.oauth2.get("state")})
    return _answer(_redirect(target), sid, new)


# -- the app's side -------------------------------------------------------
def _basic_auth(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    provider = state.oauth
    form = await request.form()
    params = {**dict(request.query_params), **{k: v for k, v in form.items() if isinstance(v, str)}}
    basic_user, basic_secret = _basic_auth(request)
    client_id = params.get("client_id") or basic_user
    secret = params.get("client_secret") or basic_secret
    grant_type = params.get("grant_type") or ("authorization_code" if params.get("code") else "")
    try:
        if grant_type not in GRANT_TYPES:
            raise OAuthError("unsupported_grant_type", "The grant_type you requested is not currently supported")
        key = _key_for(provider, client_id)
        if key is None:
            raise unknown_client()
        if secret and secret != key.api_key:
            raise invalid_secret()
        if grant_type == "authorization_code":
            body = _exchange_code(state, key, params, secret_given=bool(secret))
        else:
            body = _refresh(state, key, params, secret_given=bool(secret))
    except OAuthError as error:
        return oauth_error(error)
    finally:
        provider.grants.append(grant_type or "(none)")
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _exchange_code(state: SandboxState, key, params: dict, *, secret_given: bool) -> dict:
    provider = state.oauth
    pkce = "code_verifier" in params  # PKCE.use_pkce_in_token?: then a public client needs no secret
    if not (pkce or secret_given):
        raise invalid_secret()
    code = params.get("code")
    if not code:
        raise OAuthError("invalid_request",
                         "You must provide the code parameter when using the authorization_code grant type")
    if pkce and not provider.verifier_matches(code, params["code_verifier"]):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    record = provider.redeem_code(code, key, params.get("redirect_uri"), pkce)
    return provider.token_json(record, state.world.users[record.user_id], with_refresh=True)


def _refresh(state: SandboxState, key, params: dict, *, secret_given: bool) -> dict:
    provider = state.oauth
    refresh_token = params.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_request",
                         "You must provide the refresh_token parameter when using the refresh_token grant type")
    record = provider.refresh(refresh_token, key, secret_given)
    return provider.token_json(record, state.world.users[record.user_id], with_refresh=False)


async def sign_out(request: Request) -> Response:
    """DELETE /login/oauth2/token: the token the request is made with is deleted (with its
    refresh token). A personal token is an access token too, and goes the same way."""
    state: SandboxState = request.app.state.sandbox
    bearer = bearer_token(request)
    if bearer is None:
        return JSONResponse({"message": "can't delete OAuth access token when not using an OAuth access token"},
                            status_code=400)
    owner = token_owner(state, bearer)
    if isinstance(owner, Response):
        return owner
    record = state.oauth.lookup(bearer)
    if record is not None:
        state.oauth.revoke(record)
    else:
        state.world.by_token.pop(bearer, None)
    return JSONResponse({})


async def login_start(request: Request) -> Response:
    return _redirect("/login/canvas")  # Canvas's /login goes to the account's authentication provider


routes = [
    Route("/login/oauth2/auth", authorize, methods=["GET"]),
    Route("/login", login_start, methods=["GET"]),
    Route("/login/canvas", login_form, methods=["GET"]),
    Route("/login/canvas", login_submit, methods=["POST"]),
    Route("/login/oauth2/confirm", confirm, methods=["GET"]),
    Route("/login/oauth2/accept", accept, methods=["POST"]),
    Route("/login/oauth2/deny", deny, methods=["GET"]),
    Route("/login/oauth2/token", token, methods=["POST"]),
    Route("/login/oauth2/token", sign_out, methods=["DELETE"]),
]
