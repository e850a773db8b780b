"""The one-shot listener that receives Canvas's redirect after a browser sign-in.

Bound to 127.0.0.1 on a free port (Canvas accepts any port of a loopback redirect URI the
developer key lists, as RFC 8252 asks of native apps). It takes exactly one answer on its
callback path: checks ``state`` (a redirect that does not carry this sign-in's state may come
from someone else's page, and is refused), answers the browser a small page, and stops
listening, so a second request finds nothing there. Anything else (``/favicon.ico``) gets a 404.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
from urllib.parse import parse_qs, urlsplit

from .failure import SignInFailed

log = logging.getLogger("tui_inbox.signin")

CALLBACK = "/callback"
MAX_HEAD = 16 * 1024  # a request line and headers; a browser's are far smaller
READ_SECONDS = 10.0  # a connection that does not finish its request in this time is dropped
DONE_PAGE = "Signed in to tui-inbox. You can close this tab and go back to the terminal."
FAILED_PAGE = "The sign-in did not complete: {reason} You can close this tab; the terminal says what to do."


def page(text: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>tui-inbox</title></head>"
            f"<body><p>{html.escape(text)}</p></body></html>").encode()


def response(status: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class OneShotListener:
    """Waits for one redirect to ``http://127.0.0.1:<port>/callback`` and gives its code."""

    def __init__(self) -> None:
        self.state = ""  # set once the authorize URL is made
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._answer: asyncio.Future[str] | None = None
        self.requests = 0  # answers taken on the callback path: never more than one

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK}"

    async def start(self) -> str:
        self._answer = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.redirect_uri

    async def code(self, timeout: float) -> str:
        """The code of the one redirect; SignInFailed for a refusal, a wrong state or no answer in time."""
        assert self._answer is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._answer), timeout)
        except TimeoutError:
            minutes = f"{timeout / 60:g} minutes" if timeout >= 60 else f"{timeout:g} s"
            raise SignInFailed(f"No answer from the browser within {minutes}; nothing was stored. Run the "
                               "command again, or add --no-browser to paste the code instead.") from None
        finally:
            await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_SECONDS):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        try:
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _ = line.split(" ", 2)
        except ValueError:
            await self._reply(writer, "400 Bad Request", page("Not a request."))
            return
        parts = urlsplit(target)
        if method != "GET" or parts.path != CALLBACK:
            await self._reply(writer, "404 Not Found", page("Not here."))
            return
        assert self._answer is not None
        if self._answer.done() or self.requests:
            # Only the first answer counts: a replay, or a page racing the browser, gets nothing.
            await self._reply(writer, "410 Gone", page("This sign-in is over."))
            return
        self.requests += 1
        outcome = self._outcome(parse_qs(parts.query))
        if isinstance(outcome, SignInFailed):
            await self._reply(writer, "400 Bad Request", page(FAILED_PAGE.format(reason=outcome)))
            self._answer.set_exception(outcome)
        else:
            await self._reply(writer, "200 OK", page(DONE_PAGE))
            self._answer.set_result(outcome)
        await self.close()  # stop listening: a second request finds the port closed

    def _outcome(self, query: dict[str, list[str]]) -> str | SignInFailed:
        state = (query.get("state") or [""])[0]
        # Checked before anything else the redirect says, Canvas's errors included: an answer
        # without this sign-in's state is not Canvas's answer to us.
        if not self.state or not hmac.compare_digest(state.encode(), self.state.encode()):
            return SignInFailed("The browser came back with a different sign-in's state (it may not come from "
                                "Canvas); nothing was stored. Run the command again.")
        return outcome_of(query)

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, status: str, body: bytes) -> None:
        try:
            writer.write(response(status, body))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


def outcome_of(query: dict[str, list[str]]) -> str | SignInFailed:
    """The code of a redirect whose state was checked, or why there is none."""
    error = (query.get("error") or [""])[0]
    if error:
        said = " ".join((query.get("error_description") or [""])[0].split())[:200]
        if error == "access_denied":
            return SignInFailed("Canvas says you did not allow tui-inbox (access_denied); nothing was stored. "
                                "Run the command again and choose Authorize, or paste a token instead.")
        return SignInFailed(f"Canvas refused the sign-in ({error}{': ' + said if said else ''}); nothing was "
                            "stored.")
    code = (query.get("code") or [""])[0]
    if not code:
        return SignInFailed("The browser came back without a code; nothing was stored. Run the command again.")
    return code
