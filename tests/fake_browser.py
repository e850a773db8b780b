"""A stand-in for the user's web browser, run as ``$BROWSER <url>`` by Python's ``webbrowser``.

It opens Canvas's authorize URL, fills Canvas's login form with ``FAKE_BROWSER_LOGIN`` and
``FAKE_BROWSER_PASSWORD``, then presses Authorize (``FAKE_BROWSER_ACTION=accept``, the default)
or Cancel (``deny``), and follows Canvas's last redirect to wherever it points (the app's
loopback listener), as a browser would. It prints nothing on success and never a token or code;
a page it does not expect ends it with status 1 and one line on stderr saying why.

``webbrowser`` runs ``$BROWSER`` as one executable (no arguments) and waits for it to exit, so
``install`` writes a small executable that runs this file with this interpreter.
"""

from __future__ import annotations

import os
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

MAX_STEPS = 12  # redirects and forms from the authorize URL to the listener; Canvas needs five


class Refused(Exception):
    """The flow went somewhere a user would have stopped: the message says where."""


class Forms(HTMLParser):
    """The forms of a page (their action, method and inputs), its links and its alert text."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[tuple[str, str]] = []  # (id, href)
        self.alerts: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"id": attr.get("id", ""), "action": attr.get("action", ""),
                               "method": attr.get("method", "get").lower(), "fields": {}})
        elif tag == "input" and self.forms and attr.get("name"):
            self.forms[-1]["fields"][attr["name"]] = attr.get("value", "")
        elif tag == "a" and attr.get("href"):
            self.links.append((attr.get("id", ""), attr["href"]))
        elif attr.get("role") == "alert":
            self._in_alert = True

    def handle_endtag(self, tag: str) -> None:
        self._in_alert = False

    def handle_data(self, data: str) -> None:
        if self._in_alert and data.strip():
            self.alerts.append(" ".join(data.split()))


def parse(html: str) -> Forms:
    forms = Forms()
    forms.feed(html)
    return forms


def _same_site(url: str, origin: str) -> bool:
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def sign_in(url: str, login: str, password: str, action: str = "accept", *,
            client: httpx.Client | None = None) -> httpx.Response:
    """Walk from the authorize URL to the final redirect and return the answer of the page it
    lands on (the app's listener, or Canvas's out-of-band page). Raises Refused otherwise."""
    own = client is None
    client = client or httpx.Client(timeout=30.0, trust_env=False)  # loopback only: no proxy from the environment
    try:
        return _walk(client, url, login, password, action)
    finally:
        if own:
            client.close()


def _walk(client: httpx.Client, url: str, login: str, password: str, action: str) -> httpx.Response:
    canvas = url
    response = client.get(url)
    for _ in range(MAX_STEPS):
        if response.is_redirect:
            target = urljoin(str(response.url), response.headers["location"])
            if not _same_site(target, canvas):
                return client.get(target)  # Canvas is done: the redirect goes to the app
            response = client.get(target)
            continue
        if response.status_code >= 400:
            raise Refused(_why(response))
        page = parse(response.text)
        if str(response.url).split("?")[0].endswith("/login/oauth2/auth"):
            return response  # the out-of-band page: the code is in its address
        login_form = next((f for f in page.forms if "pseudonym_session[unique_id]" in f["fields"]), None)
        if login_form is not None:
            fields = dict(login_form["fields"])
            fields["pseudonym_session[unique_id]"] = login
            fields["pseudonym_session[password]"] = password
            response = client.post(urljoin(str(response.url), login_form["action"]), data=fields)
            if response.status_code == 400:
                raise Refused("Canvas refused the login: " + (" ".join(parse(response.text).alerts) or "no reason shown"))
            continue
        accept = next((f for f in page.forms if f["id"] == "oauth2_accept_form"), None)
        if accept is not None:
            if action == "deny":
                deny = next((href for ident, href in page.links if "/login/oauth2/deny" in href), None)
                if deny is None:
                    raise Refused("the authorize page has no Cancel link")
                response = client.get(urljoin(str(response.url), deny))
            else:
                response = client.post(urljoin(str(response.url), accept["action"]), data=accept["fields"])
            continue
        raise Refused(f"unexpected page at {urlsplit(str(response.url)).path} (HTTP {response.status_code})")
    raise Refused(f"still inside Canvas after {MAX_STEPS} steps")


def _why(response: httpx.Response) -> str:
    try:
        body = response.json()
        text = body.get("error_description") or body.get("error") or str(body)
    except ValueError:
        text = " ".join(response.text.split())[:200]
    return f"Canvas answered {response.status_code}: {text}"


def install(folder: Path) -> str:
    """An executable to put in ``BROWSER``: runs this file with this interpreter."""
    path = Path(folder) / "fake-browser"
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def complain(line: str) -> None:
    """One line on stderr, or in the file ``FAKE_BROWSER_LOG`` names: a browser's window is not the
    terminal, and a test reading the app's stderr must not find the browser's words cut into it."""
    where = os.environ.get("FAKE_BROWSER_LOG")
    if where:
        with open(where, "a", encoding="utf-8") as log:
            log.write(f"fake_browser: {line}\n")
    else:
        print(f"fake_browser: {line}", file=sys.stderr)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        complain("give one URL")
        return 2
    action = os.environ.get("FAKE_BROWSER_ACTION", "accept")
    if action not in ("accept", "deny"):
        complain(f"FAKE_BROWSER_ACTION must be accept or deny, not {action!r}")
        return 2
    try:
        final = sign_in(argv[1], os.environ.get("FAKE_BROWSER_LOGIN", ""), os.environ.get("FAKE_BROWSER_PASSWORD", ""),
                        action)
    except Refused as refused:
        complain(str(refused))
        return 1
    except httpx.HTTPError as error:
        complain(f"{type(error).__name__}: {error}")
        return 1
    if final.status_code >= 400:
        complain(f"the last page answered HTTP {final.status_code}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
