"""The two ways of a browser sign-in: this machine's browser, or a code pasted from another's.

With a browser: the authorize URL opens in the system browser (Python's ``webbrowser``, so
``$BROWSER`` is honoured), and Canvas's redirect comes back to a one-shot listener on
127.0.0.1 (loopback.py). Without one (over SSH, ``--no-browser``): the URL is printed with the
redirect ``urn:ietf:wg:oauth:2.0:oob``, Canvas shows the code on its page, and the person pastes
the code or the whole address of that page.

Either way the code is exchanged with the PKCE verifier (S256) for the tokens (canvas/oauth.py);
a code Canvas refuses is one line, and nothing is stored (storing is the caller's, after this).
"""

from __future__ import annotations

import threading
import webbrowser
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from ..canvas.errors import CanvasError
from ..canvas.oauth import OOB, Authorization, Grant, authorize_refusal, exchange_code, new_authorization
from .failure import SignInFailed
from .loopback import OneShotListener, outcome_of

WAIT_SECONDS = 300.0  # for the person to sign in and authorize in the browser


async def browser_sign_in(base_url: str, client_id: str, *, say: Callable[[str], None],
                          open_url: Callable[[str], bool] = webbrowser.open, wait: float = WAIT_SECONDS,
                          client_secret: str | None = None, transport=None) -> Grant:
    listener = OneShotListener()
    redirect_uri = await listener.start()
    try:
        authorization = new_authorization(base_url, client_id, redirect_uri)
        listener.state = authorization.state
        await refused_before_start(authorization, transport)
        say("Opening your browser to sign in to Canvas. If it does not open, visit this address:")
        say(f"  {authorization.url}")
        open_in_background(open_url, authorization.url, say, lambda: not listener.requests)
        code = await listener.code(wait)
    finally:
        await listener.close()
    return await exchanged(base_url, client_id, authorization, code, client_secret, transport)


async def pasted_sign_in(base_url: str, client_id: str, *, say: Callable[[str], None], ask: Callable[[str], str],
                         client_secret: str | None = None, transport=None) -> Grant:
    authorization = new_authorization(base_url, client_id, OOB)
    await refused_before_start(authorization, transport)
    say("Open this address in a browser, sign in and authorize tui-inbox:")
    say(f"  {authorization.url}")
    say("Canvas then shows a code: paste it here (or the whole address of that page).")
    answer = ask("Code: ").strip()
    code = code_from(answer, authorization.state)
    return await exchanged(base_url, client_id, authorization, code, client_secret, transport)


async def refused_before_start(authorization: Authorization, transport) -> None:
    refusal = await authorize_refusal(authorization, transport=transport)
    if refusal is None:
        return
    if "redirect_uri" in refusal:
        fix = (f"the school's developer key must list {authorization.redirect_uri.split('/callback')[0]} among its "
               "redirect URIs (ask the Canvas admin), or add --no-browser to paste the code")
    elif "client" in refusal:
        fix = "check the client id with your school's Canvas admin"
    else:
        fix = "check the Canvas URL and try again"
    raise SignInFailed(f"{refusal.rstrip('.')}: {fix}; nothing was stored.")


def open_in_background(open_url: Callable[[str], bool], url: str, say: Callable[[str], None],
                       waiting: Callable[[], bool]) -> None:
    """Open the browser from a daemon thread: webbrowser waits for a ``$BROWSER`` command to end
    (a browser may run for hours), the listener must answer meanwhile, and the command must not
    wait for that browser to close before it exits."""

    def opening() -> None:
        try:
            opened = open_url(url)
        except Exception:
            opened = False
        if not opened and waiting():  # a browser that exits unhappy after it came back has done its part
            say("No browser could be opened here: visit the address above, or run again with --no-browser "
                "to paste the code.")

    threading.Thread(target=opening, name="open-browser", daemon=True).start()


def code_from(answer: str, state: str) -> str:
    """The code in what was pasted: the code itself, or the address of Canvas's page with it."""
    if not answer:
        raise SignInFailed("No code was pasted; nothing was stored. Run the command again.")
    if "code=" not in answer and "error=" not in answer:
        if any(c.isspace() for c in answer) or len(answer) > 2048:
            raise SignInFailed("That is not a code from Canvas; nothing was stored. Paste the code Canvas showed.")
        return answer
    query = parse_qs(urlsplit(answer).query if "?" in answer else answer)
    given = (query.get("state") or [None])[0]
    if given is not None and given != state:
        raise SignInFailed("That address is from another sign-in (its state differs); nothing was stored. "
                           "Paste the code of this sign-in.")
    outcome = outcome_of(query)
    if isinstance(outcome, SignInFailed):
        raise outcome
    return outcome


async def exchanged(base_url, client_id, authorization, code, client_secret, transport) -> Grant:
    try:
        return await exchange_code(base_url, client_id, authorization, code, client_secret=client_secret,
                                   transport=transport)
    except CanvasError as error:
        raise SignInFailed(f"{error} Nothing was stored; run the command again.") from None
