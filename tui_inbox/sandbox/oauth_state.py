"""Canvas as an OAuth2 provider, the state half: the developer key, codes, tokens, web sessions.

Read from canvas-lms: ``app/models/developer_key.rb`` (``redirect_domain_matches?``),
``lib/canvas/oauth/token.rb`` (codes live ten minutes, the token JSON), ``lib/canvas/oauth/pkce.rb``
(the S256 check; the challenge is read once and deleted), ``lib/canvas/oauth/grant_types/*.rb``
and ``app/models/access_token.rb`` (``usable?``: an access token past its ``expires_at``
"needs refresh" and stops working, its refresh token does not; a deleted token is gone for both;
a refresh within five seconds of the last hands back the same access token).

Everything here runs on the server's loop; the routes are in oauth_api.py, the pages in oauth_pages.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .institution import FIRST, Institution
from .world import User

OOB_URI = "urn:ietf:wg:oauth:2.0:oob"
CODE_SECONDS = 600  # Setting "oath_token_request_timeout" (sic), 10 minutes, and PKCE::KEY_TTL
REFRESH_SPAM_SECONDS = 5  # Setting "oauth_refresh_token_spam_interval"
# Browser sessions kept at once: a sandbox run for days by a demo must not grow without end
# (Canvas's own expire; here the oldest goes first).
MAX_SESSIONS = 10_000
# The developer key's legacy single redirect_uri: Canvas accepts any URI of the same scheme
# whose host is this one (or a subdomain), whatever its port and path. That is how a native
# app's loopback listener on a free port gets through.
LOOPBACK_REDIRECT = "http://127.0.0.1"


class OAuthError(Exception):
    """One of Canvas's ``Canvas::OAuth::RequestError`` answers (lib/canvas/oauth/request_error.rb)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def as_json(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def unknown_client() -> OAuthError:
    return OAuthError("invalid_client", "unknown client", 401)


def invalid_secret() -> OAuthError:
    return OAuthError("invalid_client", "invalid client", 401)


def invalid_redirect() -> OAuthError:
    return OAuthError("invalid_request", "redirect_uri does not match client settings")


def code_not_found() -> OAuthError:
    return OAuthError("invalid_grant", "authorization_code not found")


def refresh_not_found() -> OAuthError:
    return OAuthError("invalid_grant", "refresh_token not found")


def incorrect_client() -> OAuthError:
    return OAuthError("invalid_grant", "incorrect client")


@dataclass
class DeveloperKey:
    id: int  # its global id, which is the client_id
    api_key: str  # the client secret
    name: str
    redirect_uris: list[str]
    redirect_uri: str = LOOPBACK_REDIRECT  # the legacy single one, matched leniently
    active: bool = True
    auto_expire_tokens: bool = True  # every key made since 2015: tokens last an hour, then refresh

    @property
    def client_id(self) -> str:
        return str(self.id)

    def redirect_matches(self, uri: str) -> bool:
        """developer_key.rb ``redirect_domain_matches?``: listed exactly, or the legacy URI's
        scheme and host (or a subdomain of it), any port, any path."""
        if not uri:
            return False
        if uri in self.redirect_uris:
            return True
        try:
            mine, theirs = urlsplit(self.redirect_uri), urlsplit(uri)
            theirs.port  # noqa: B018 (reading it checks the port is a number, as URI.parse does)
        except ValueError:
            return False
        if not mine.hostname or not theirs.hostname or mine.scheme != theirs.scheme:
            return False
        return theirs.hostname == mine.hostname or theirs.hostname.endswith("." + mine.hostname)

    def as_json(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.api_key, "redirect_uris": list(self.redirect_uris),
                "redirect_uri": self.redirect_uri}


@dataclass
class Code:
    user_id: int
    client_id: int
    redirect_uri: str
    scopes: list[str]
    purpose: str | None
    expires_at: datetime
    challenge: str | None = None  # S256 code_challenge, when the request asked for PKCE


@dataclass
class AccessToken:
    id: int
    user_id: int
    key_id: int
    token: str
    refresh_token: str
    expires_at: datetime | None
    updated_at: datetime
    pkce: bool  # born of a PKCE exchange: refreshing needs no client secret
    purpose: str | None = None
    deleted: bool = False

    def needs_refresh(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at < now


@dataclass
class Session:
    """A browser's Canvas web session: the ``_normandy_session`` cookie's contents."""

    csrf: str
    user_id: int | None = None
    oauth2: dict | None = None  # Canvas's session[:oauth2]: client, redirect_uri, scopes, state


def _same(a: str, b: str) -> bool:
    """A constant-time comparison that takes any text a request carried (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _slug(seed: int | str, *parts: object) -> str:
    """64 characters as Canvas's CanvasSlug, from the seed and a counter: stable for a seed."""
    return hashlib.sha256(":".join(["tui-inbox-oauth", str(seed), *map(str, parts)]).encode()).hexdigest()


class OAuthProvider:
    """The developer key, the passwords, and every code, token and web session of one sandbox."""

    def __init__(self, seed: int, now, token_seconds: float = 3600.0, institution: Institution = FIRST) -> None:
        # Another institution is another Canvas: its own key, secrets and passwords from the same seed.
        self.seed = institution.salt(seed)
        self.institution = institution
        self.now = now  # the sandbox's clock
        self.token_seconds = token_seconds
        self.key = DeveloperKey(
            id=int(institution.global_id(1)), api_key=_slug(self.seed, "key"), name="tui-inbox",
            # As an admin sets it up in Canvas: the list is matched exactly, so a listener on a free
            # port gets through only by the legacy field (LOOPBACK_REDIRECT); the oob page is listed.
            redirect_uris=[OOB_URI])
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, AccessToken] = {}  # by access token
        self.by_refresh: dict[str, AccessToken] = {}
        self.sessions: dict[str, Session] = {}
        # The grant_type of every token request answered, refused ones too, in order: what tests count.
        self.grants: list[str] = []
        self._serial = 0

    # -- people -----------------------------------------------------------
    def password_of(self, user: User) -> str:
        return "pw-" + _slug(self.seed, "password", user.id)[:12]

    def check_login(self, users, unique_id: str, password: str) -> User | None:
        """A login id (case-insensitive, as Canvas's pseudonyms) and its password."""
        wanted = unique_id.strip().lower()
        for user in users:
            if user.login.lower() == wanted:
                return user if _same(self.password_of(user), password) else None
        return None

    # -- codes ------------------------------------------------------------
    def issue_code(self, user_id: int, oauth2: dict) -> str:
        now = self.now()
        for stale in [c for c, found in self.codes.items() if found.expires_at < now]:
            del self.codes[stale]  # as Redis lets them lapse
        code = secrets.token_hex(64)  # Token.generate_code_for: SecureRandom.hex(64)
        challenge = None
        if oauth2.get("code_challenge") and oauth2.get("code_challenge_method") == "S256":
            challenge = oauth2["code_challenge"]  # PKCE.use_pkce_in_authorization?: only S256
        self.codes[code] = Code(user_id, oauth2["client_id"], oauth2["redirect_uri"], oauth2.get("scopes", []),
                                oauth2.get("purpose"), self.now() + timedelta(seconds=CODE_SECONDS), challenge)
        return code

    def _live_code(self, code: str) -> Code | None:
        found = self.codes.get(code)
        if found is not None and found.expires_at < self.now():
            del self.codes[code]
            return None
        return found

    def verifier_matches(self, code: str, verifier: str) -> bool:
        """pkce.rb ``valid_code_verifier?``: the challenge is fetched and deleted, right or wrong."""
        found = self._live_code(code)
        challenge = found.challenge if found else None
        if found is not None:
            found.challenge = None
        return bool(challenge) and _same(s256(verifier), challenge)

    def redeem_code(self, code: str, key: DeveloperKey, redirect_uri: str | None, pkce: bool) -> AccessToken:
        found = self._live_code(code)
        if found is None:
            raise code_not_found()
        if found.client_id != key.id:
            raise incorrect_client()
        # RFC 6749 4.1.3: the same redirect_uri as at the authorize step, if the client names one.
        if redirect_uri and redirect_uri != found.redirect_uri:
            raise invalid_redirect()
        del self.codes[code]  # Token.expire_code: a code works once
        return self._new_token(found.user_id, key, pkce, found.purpose)

    # -- tokens -----------------------------------------------------------
    def _new_token(self, user_id: int, key: DeveloperKey, pkce: bool, purpose: str | None) -> AccessToken:
        self._serial += 1
        now = self.now()
        record = AccessToken(self._serial, user_id, key.id, self._access_string(), "7~" + secrets.token_hex(32),
                             self._expiry(key, now), now, pkce, purpose)
        self.tokens[record.token] = record
        self.by_refresh[record.refresh_token] = record
        return record

    def _access_string(self) -> str:
        # Random, unlike the seeded personal tokens: whoever knows the seed must not guess a code or token.
        return "7~" + secrets.token_hex(32)

    def _expiry(self, key: DeveloperKey, now: datetime) -> datetime | None:
        return now + timedelta(seconds=self.token_seconds) if key.auto_expire_tokens else None

    def refresh(self, refresh_token: str, key: DeveloperKey, secret_given: bool) -> AccessToken:
        record = self.by_refresh.get(refresh_token)
        if record is None or record.deleted or not self.key.active:
            raise refresh_not_found()
        if record.key_id != key.id:
            raise incorrect_client()
        if not (record.pkce or secret_given):
            raise invalid_secret()
        now = self.now()
        # grant_types/refresh_token.rb: "don't regenerate if recently changed", unless it already expired.
        if record.updated_at < now - timedelta(seconds=REFRESH_SPAM_SECONDS) or record.needs_refresh(now):
            del self.tokens[record.token]  # the old access token is no longer anyone's
            record.token = self._access_string()
            record.expires_at = self._expiry(key, now)
            record.updated_at = now
            self.tokens[record.token] = record
        return record

    def lookup(self, token: str) -> AccessToken | None:
        return self.tokens.get(token)

    def revoke(self, record: AccessToken) -> None:
        """AccessToken#destroy: the workflow state becomes deleted, for both its tokens."""
        record.deleted = True

    def revoke_user(self, user_id: int) -> int:
        """The test hook: the user (or an admin) deletes every token this app holds for them,
        as from Settings > Approved Integrations. Returns how many were live."""
        live = [t for t in self.tokens.values() if t.user_id == user_id and not t.deleted]
        for record in live:
            self.revoke(record)
        return len(live)

    def expire_now(self, user_id: int | None = None) -> int:
        """Move the expiry of live access tokens (a user's, or everyone's) to now: the hour is up."""
        now = self.now() - timedelta(microseconds=1)
        count = 0
        for record in self.tokens.values():
            if not record.deleted and (user_id is None or record.user_id == user_id):
                record.expires_at = now
                count += 1
        return count

    def token_json(self, record: AccessToken, user: User, *, with_refresh: bool) -> dict:
        """token.rb ``as_json``: the refresh token only when it was just made (Canvas keeps only its hash)."""
        body = {
            "access_token": record.token,
            "token_type": "Bearer",
            "user": {"id": user.id, "name": user.name, "global_id": self.institution.global_id(user.id),
                     "effective_locale": "en"},
        }
        if with_refresh:
            body["refresh_token"] = record.refresh_token
        if record.expires_at is not None:
            # Whole seconds of both instants, as Canvas's ``expires_at.utc.to_i - Time.now.utc.to_i``.
            body["expires_in"] = int(record.expires_at.timestamp()) - int(self.now().timestamp())
        return body

    # -- web sessions -----------------------------------------------------
    def new_session(self) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(24)
        session = Session(csrf=secrets.token_urlsafe(32))
        self.sessions[sid] = session
        while len(self.sessions) > MAX_SESSIONS:
            del self.sessions[next(iter(self.sessions))]
        return sid, session


@dataclass
class TokenSeen:
    """What authentication found for a bearer string (endpoint.py turns it into an answer)."""

    user_id: int | None = None
    problem: str | None = None  # "expired" or "revoked"
    expired_at: datetime | None = None


def classify(provider: OAuthProvider, token: str) -> TokenSeen | None:
    """None if this is no OAuth token the sandbox ever issued; else whose it is, or why it is refused."""
    record = provider.lookup(token)
    if record is None:
        return None
    if record.deleted or not provider.key.active:
        return TokenSeen(problem="revoked")
    if record.needs_refresh(provider.now()):
        return TokenSeen(problem="expired", expired_at=record.expires_at)
    return TokenSeen(user_id=record.user_id)
