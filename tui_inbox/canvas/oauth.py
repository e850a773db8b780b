"""Canvas's OAuth2 endpoints, through Authlib's httpx client (canvas-lms doc/api/oauth.md).

- ``GET /login/oauth2/auth``: the authorize URL a browser opens, with PKCE (S256) and a state;
- ``POST /login/oauth2/token``: the ``authorization_code`` grant (with the code verifier) and the
  ``refresh_token`` grant (Canvas answers a new access token, and no new refresh token);
- ``DELETE /login/oauth2/token`` (sign out) goes through ``CanvasHTTP`` like any API call.

Authlib is imported only here and only when a sign-in or a renewal happens: the app's start
from the cache never pays for it (benchmarks/start.py).
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field

from .errors import CanvasError, NetworkError, ServerError, SIGN_IN_AGAIN, SignInNeeded
from .http import checked_base_url, network_reason, tls_context
from .lazy_httpx import httpx
from .origins import is_loopback

OOB = "urn:ietf:wg:oauth:2.0:oob"  # Canvas shows the code on a page, for a machine without a browser
AUTHORIZE = "/login/oauth2/auth"
TOKEN = "/login/oauth2/token"
# What the app calls, as Canvas names its scopes (config/routes.rb). A key that enforces scopes
# refuses an authorize request whose scopes it does not all hold, and one without any
# (oauth2_provider_controller.rb); a key that does not enforce them ignores the list.
_CONTEXTS = ("courses/:course_id", "groups/:group_id")
SCOPES = (
    "url:GET|/api/v1/conversations", "url:POST|/api/v1/conversations", "url:PUT|/api/v1/conversations",
    "url:GET|/api/v1/conversations/:id", "url:PUT|/api/v1/conversations/:id", "url:DELETE|/api/v1/conversations/:id",
    "url:POST|/api/v1/conversations/:id/add_message", "url:POST|/api/v1/conversations/:id/add_recipients",
    "url:POST|/api/v1/conversations/:id/remove_messages", "url:POST|/api/v1/conversations/mark_all_as_read",
    "url:GET|/api/v1/conversations/unread_count", "url:GET|/api/v1/conversations/batches",
    "url:GET|/api/v1/progress/:id", "url:POST|/api/v1/progress/:id/cancel",
    "url:GET|/api/v1/search/recipients", "url:GET|/api/v1/conversations/find_recipients",
    "url:GET|/api/v1/users/:id", "url:GET|/api/v1/courses", "url:GET|/api/v1/users/self/groups",
    "url:GET|/api/v1/groups/:id", "url:POST|/api/v1/users/:user_id/files",
    *(f"url:{verb}|/api/v1/{context}/discussion_topics{path}" for context in _CONTEXTS for verb, path in (
        ("GET", ""), ("GET", "/:topic_id"), ("GET", "/:topic_id/view"), ("POST", "/:topic_id/entries"),
        ("GET", "/:topic_id/entries/:entry_id/replies"), ("POST", "/:topic_id/entries/:entry_id/replies"))),
    "url:GET|/api/v1/announcements",
)
# Canvas's answers that mean the grant itself is gone: the refresh token was revoked, the code used
# or expired, the developer key turned off or deleted.
REFUSED_GRANTS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


class SignInRefused(CanvasError):
    """Canvas refused a sign-in step (a code replayed, a verifier that does not match, an
    unknown client id...). The message says what Canvas said, in one line."""


@dataclass
class Grant:
    """What a sign-in brings: the tokens (kept only in the secrets store) and who signed in."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    user_id: int | None
    user_name: str


@dataclass
class Authorization:
    """One sign-in attempt: the URL to open, and what must come back with the code."""

    url: str
    state: str
    verifier: str = field(repr=False)
    redirect_uri: str


def new_authorization(base_url: str, client_id: str, redirect_uri: str) -> Authorization:
    """The authorize URL with a fresh state and a fresh PKCE verifier (S256)."""
    client = _client(base_url, client_id, redirect_uri)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43 to 128
    url, state = client.create_authorization_url(checked_base_url(base_url) + AUTHORIZE,
                                                 state=secrets.token_urlsafe(24), code_verifier=verifier,
                                                 scope=" ".join(SCOPES))
    return Authorization(url, state, verifier, redirect_uri)


async def authorize_refusal(authorization: Authorization, *, transport=None) -> str | None:
    """What Canvas says against this authorize URL before anyone signs in (an unknown client id,
    a redirect URI the developer key does not list), in one line; None when it would show its
    login page. Canvas answers those with an error page, never a redirect back to the app
    (oauth2_provider_controller.rb), so without this the app would wait for a browser that
    never comes back."""
    url = httpx.URL(authorization.url)
    trust_env = not is_loopback(url.host)
    try:
        async with httpx.AsyncClient(transport=transport, timeout=15.0, follow_redirects=False, trust_env=trust_env,
                                     verify=tls_context(trust_env)) as client:
            response = await client.get(url)
            await response.aread()
    except httpx.HTTPError as error:
        return f"Cannot reach Canvas at {url.host}: {network_reason(error)}."
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        said = " ".join(f"{body['error']}: {body.get('error_description') or ''}".split()).rstrip(": ")[:200]
    else:
        said = f"HTTP {response.status_code}"
    return f"Canvas refuses this sign-in before it starts ({said})."


async def exchange_code(base_url: str, client_id: str, authorization: Authorization, code: str, *,
                        client_secret: str | None = None, transport=None) -> Grant:
    """The authorization_code grant: the code and the verifier for the tokens."""
    async with _client(base_url, client_id, authorization.redirect_uri, client_secret, transport) as client:
        token = await _ask(client.fetch_token(_token_url(base_url), grant_type="authorization_code", code=code,
                                              code_verifier=authorization.verifier,
                                              redirect_uri=authorization.redirect_uri),
                           base_url, renewing=False)
    access, refresh = token.get("access_token"), token.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        raise ServerError("Canvas answered the sign-in without an access token and a refresh token; "
                          "a proxy or a broken server may be in the way.")
    user = token.get("user") if isinstance(token.get("user"), dict) else {}
    user_id = user.get("id")
    try:
        user_id = int(user_id) if user_id is not None else None
    except (TypeError, ValueError):
        user_id = None
    return Grant(access, refresh, user_id, str(user.get("name") or ""))


async def renew(base_url: str, client_id: str, refresh_token: str, *, client_secret: str | None = None,
                transport=None) -> str:
    """The refresh_token grant: a new access token, or SignInNeeded when Canvas refuses the refresh token."""
    async with _client(base_url, client_id, None, client_secret, transport) as client:
        token = await _ask(client.refresh_token(_token_url(base_url), refresh_token=refresh_token),
                           base_url, renewing=True)
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise ServerError("Canvas answered the renewal without an access token; a proxy or a broken server "
                          "may be in the way.")
    return access


def renewer(base_url: str, client_id: str, client_secret: str | None = None, transport=None):
    """``renew`` for one account, as a RenewingToken asks it."""

    async def renew_with(refresh_token: str) -> str:
        return await renew(base_url, client_id, refresh_token, client_secret=client_secret, transport=transport)

    return renew_with


def _token_url(base_url: str) -> str:
    return checked_base_url(base_url) + TOKEN


def _authlib():
    """Authlib's httpx client and its error, imported quietly: Authlib 1.9 warns at import that it
    would rather have the httpx2 fork (and sets its warnings to "always"), which a person signing
    in must not see; it works with httpx, which the app uses everywhere."""
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401 - its "always" filter first, so that ours comes before it

        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.base_client import OAuthError
        from authlib.integrations.httpx_client import AsyncOAuth2Client
    return AsyncOAuth2Client, OAuthError


def _client(base_url: str, client_id: str, redirect_uri: str | None, client_secret: str | None = None,
            transport=None):
    AsyncOAuth2Client, _ = _authlib()
    base = checked_base_url(base_url)
    trust_env = not is_loopback(httpx.URL(base).host)
    return AsyncOAuth2Client(
        client_id=client_id, client_secret=client_secret or None, redirect_uri=redirect_uri,
        # A public client (PKCE): the client id in the body, no secret. With a secret, Canvas reads
        # it from the body too (oauth2_provider_controller.rb).
        token_endpoint_auth_method="client_secret_post" if client_secret else "none",
        code_challenge_method="S256", transport=transport, timeout=15.0, verify=tls_context(trust_env),
        trust_env=trust_env, follow_redirects=False,
    )


async def _ask(call, base_url: str, *, renewing: bool) -> dict:
    """Await one token request; every failure a CanvasError of one line, never with a token in it."""
    _, OAuthError = _authlib()
    host = httpx.URL(checked_base_url(base_url)).host
    try:
        return await call
    except OAuthError as error:
        said = " ".join(f"{error.error}: {error.description or ''}".split()).rstrip(": ")[:200]
        if renewing and error.error in REFUSED_GRANTS:
            raise SignInNeeded(f"Canvas no longer accepts this sign-in ({said}): {SIGN_IN_AGAIN}.") from None
        raise SignInRefused(f"Canvas refused the sign-in ({said}).") from None
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        reason = network_reason(error)
        raise NetworkError(f"Cannot reach Canvas at {host}: {reason}.", sent=False, reason=reason) from None
    except httpx.TransportError as error:
        raise NetworkError(f"The connection to {host} failed mid-request ({network_reason(error)}).",
                           sent=True) from None
    except httpx.HTTPStatusError as error:
        raise ServerError(f"Canvas's sign-in answered HTTP {error.response.status_code}; try again in a moment.",
                          status=error.response.status_code) from None
    except ValueError:
        raise ServerError("Canvas's sign-in answered something that is not JSON; a proxy or a broken server "
                          "may be in the way.") from None
