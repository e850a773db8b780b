"""``tui-inbox init``: ask how to sign in, the Canvas URL, then sign in with the browser (or take
a token), and a live-events URL; check them, write the config (mode 0600).

A mistake is said on stderr and that one question is asked again, keeping the answers that
were right: a refused token asks for the token only, an unreachable server for the URL only.
A browser sign-in's tokens go to the secrets store (signin/), never into the config.
With a config that already has an account, ``--url`` (or ``--name``) adds one more: add_account.py.
"""

from __future__ import annotations

import asyncio
import getpass
import sys

import httpx

from . import config as config_module
from .canvas import CanvasClient
from .canvas.errors import AuthError, CanvasError, NetworkError
from .canvas.http import NOT_HTTPS, checked_base_url
from .canvas.origins import is_loopback, origin_of
from .config import CanvasSettings, Config, ConfigError

TOKEN_HELP = (
    "Make a token in Canvas: Account > Settings > Approved Integrations > + New Access Token.\n"
    "It is stored in the config file, readable only by you (mode 0600)."
)
LIVE_HELP = (
    "Live updates: if your school runs a tui-inbox relay, paste its live_url (wss://...).\n"
    "Without one the app asks Canvas for new messages every {poll:g} s."
)
MAX_TRIES = 5  # per question: enough for typos, and a script feeding wrong answers still ends
WAYS = (
    "How do you want to sign in?\n"
    "  1) Sign in with your browser (your school's Canvas admin gives a client id for tui-inbox)\n"
    "  2) Paste an access token you made in Canvas"
)
BROWSER, TOKEN = "browser", "token"


def ask(prompt: str, *, at_end: str | None = None) -> str:
    """The answer typed; at the end of standard input ``at_end`` for an optional question, else init stops."""
    try:
        return input(prompt).strip()
    except EOFError:
        print(file=sys.stderr)  # the prompt had no newline; the message starts on its own line
        if at_end is not None:
            return at_end
        raise ConfigError("init stopped: no more answers on standard input; nothing was written.") from None


def ask_secret(prompt: str) -> str:
    if not sys.stdin.isatty():
        return ask(prompt)
    return getpass.getpass(prompt).strip()


def say(problem: str) -> None:
    print(f"  {problem}", file=sys.stderr, flush=True)


def canvas_origin(text: str) -> str:
    """The Canvas root a person meant: ``https://`` added to a bare host, and only the origin of a
    pasted page (``https://canvas.school.edu/courses/12/discussion_topics`` -> ``https://canvas.school.edu``)."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        url = httpx.URL(text)
    except Exception:
        raise ConfigError(f"{text!r} is not a web address; type it as e.g. canvas.school.edu") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"{text!r} is not a web address; type it as e.g. canvas.school.edu")
    scheme, host, port = origin_of(url)
    shown_host = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    origin = f"{scheme}://{shown_host}" if port == default else f"{scheme}://{shown_host}:{port}"
    try:
        return str(checked_base_url(origin))
    except CanvasError as error:
        raise ConfigError(str(error)) from None


def ask_url(default: str) -> str:
    for _ in range(MAX_TRIES):
        # A default is shown only when pressing Enter would use it.
        prompt = f"Canvas URL [{default}]: " if default else "Canvas URL (e.g. canvas.school.edu): "
        answer = ask(prompt) or default
        if not answer:
            say("Type the address you open Canvas at in the browser.")
            continue
        try:
            return canvas_origin(answer)
        except ConfigError as error:
            say(str(error))
    raise ConfigError(f"No usable Canvas URL after {MAX_TRIES} tries; nothing was written.")


def ask_token() -> str:
    for _ in range(MAX_TRIES):
        token = ask_secret("Access token (input hidden): ")
        if token:
            return token
        say("No token given: paste the token Canvas showed when you made it.")
    raise ConfigError(f"No token after {MAX_TRIES} tries; nothing was written.")


def ask_way() -> str:
    print(WAYS)
    for _ in range(MAX_TRIES):
        answer = ask("Choose 1 or 2 [1]: ") or "1"
        if answer in ("1", "2"):
            return BROWSER if answer == "1" else TOKEN
        say("Type 1 to sign in with your browser, 2 to paste a token.")
    raise ConfigError(f"No way to sign in chosen after {MAX_TRIES} tries; nothing was written.")


def ask_client_id(default: str) -> str:
    for _ in range(MAX_TRIES):
        prompt = f"Client id [{default}]: " if default else "Client id (your school's developer key, digits): "
        answer = ask(prompt) or default
        if answer.isdigit():
            return answer
        say("A client id is the digits of a developer key (Canvas Admin > Developer Keys); ask your "
            "school's Canvas admin, or choose 2 to paste a token.")
    raise ConfigError(f"No usable client id after {MAX_TRIES} tries; nothing was written.")


def ask_live_url(default: str, poll_seconds: float) -> str:
    """The live-events URL, or "" for none. The token is sent there, so the rules of the app's
    stream apply (wss://, plain ws:// only to this machine); the user names it, so it is trusted."""
    from .live.stream import checked_live_url

    print(LIVE_HELP.format(poll=poll_seconds))
    for _ in range(MAX_TRIES):
        prompt = f"Live-events URL [{default}] (none: no stream): " if default else "Live-events URL (Enter for none): "
        # A script that pipes in the URL and the token only gets no stream, not a stopped init.
        answer = ask(prompt, at_end="") or default
        if not answer or answer.casefold() == "none":
            return ""
        try:
            return checked_live_url(answer, None, trusted=True)  # trusted: Canvas's host is not compared
        except CanvasError as error:
            say(f"{error} Or press Enter for none.")
    raise ConfigError(f"No usable live-events URL after {MAX_TRIES} tries; nothing was written.")


def plain_http(base: str) -> str:
    """The same address over http, which checked_base_url allows on this machine only."""
    return "http://" + base.removeprefix("https://")


def where(base: str) -> str:
    _, host, port = origin_of(httpx.URL(base))
    return f"{host}:{port}"


def check(base: str, token: str) -> CanvasError | None:
    """None if Canvas at ``base`` accepts ``token``, else what went wrong."""
    answer = whose(base, token)
    return answer if isinstance(answer, CanvasError) else None


def whose(base: str, token: str):
    """The user Canvas at ``base`` says ``token`` is, or the CanvasError that says why not."""

    async def ask_canvas():
        client = CanvasClient(base, token, timeout=15.0)
        try:
            return await client.get_self()
        finally:
            await client.aclose()

    try:
        return asyncio.run(ask_canvas())
    except CanvasError as error:
        return error


def run_init(cli_path: str | None, url: str | None, *, client_id: str | None = None, no_browser: bool = False,
             school: str | None = None, name: str | None = None) -> int:
    from . import add_account

    path = config_module.resolve_path(cli_path)
    existing = config_module.load(cli_path, required=False) if path.exists() else Config(path=path)
    adding = add_account.adds_an_account(existing, url if not school else school, name)
    if adding and name is not None:
        add_account.check_name(existing, name)  # before any question
    if school:
        from .signin.school import run_school_init

        return run_school_init(existing, path, school, no_browser=no_browser, adding=adding, name=name)
    base: str | None = None
    if url:
        try:
            base = canvas_origin(url)
        except ConfigError as error:
            say(f"--url: {error}")
    if client_id is not None and not client_id.isdigit():
        say(f"--client-id: {client_id!r} is not a client id (the digits of a developer key).")
        client_id = None
    # A client id, or --no-browser, says which way: only a bare init asks.
    way = BROWSER if (client_id or no_browser) else None
    if way is None:
        way = ask_way()
    default = "" if adding else existing.canvas.base_url
    token: str | None = None
    for _ in range(MAX_TRIES):
        if base is None:
            base = ask_url(default)
        if way == TOKEN and token is None:
            print(TOKEN_HELP)
            token = ask_token()
        print(f"Checking the token with Canvas at {base}…" if way == TOKEN else f"Checking Canvas at {base}…",
              flush=True)
        # The browser's way has no token yet: Canvas's 401 to a placeholder says it is there.
        problem = check(base, token if way == TOKEN else "not-signed-in")
        if way == BROWSER and isinstance(problem, AuthError):
            problem = None  # Canvas answered (and wants a sign-in): it is there
        if problem is None:
            break
        if isinstance(problem, AuthError):
            say(f"Canvas at {where(base)} refused that token: check that you copied all of it, "
                "or make a new one, and paste it again.")
            token = None
        elif isinstance(problem, NetworkError) and problem.reason == NOT_HTTPS:
            # A bare host became https://, but a local server (the sandbox, a dev Canvas) speaks http.
            _, host, _ = origin_of(httpx.URL(base))
            if base.startswith("https://") and is_loopback(host):
                say(f"{where(base)} does not speak https: for a server on this machine use "
                    f"{plain_http(base)} (Enter takes it).")
                default = plain_http(base)
            else:
                say(f"{where(base)} does not speak https: check the port (Canvas answers https, on 443 "
                    "unless your school says otherwise), and type the URL again.")
                default = base
            base = None
        elif isinstance(problem, NetworkError):
            # Host and port: a wrong or missing port is as common as a wrong host. (The app's
            # status bar names the host only; init is where the address is being typed.)
            say(f"Cannot reach Canvas at {where(base)}: {problem.reason or problem}. "
                "Type the URL again (Enter keeps it, to retry).")
            default, base = base, None
        else:
            say(f"{where(base)} answered, but not as Canvas does ({problem}). Check the URL.")
            default, base = base, None
    else:
        raise ConfigError(f"Still no working URL and token after {MAX_TRIES} tries; nothing was written.")
    config = existing
    if adding:
        return add_account_to(config, path, base, way, token, client_id, name, no_browser)
    if way == BROWSER:
        from .signin.commands import sign_in_and_keep

        client_id = client_id or ask_client_id(existing.canvas.client_id)
        sign_in_and_keep(base, client_id, no_browser=no_browser)
        config.canvas = CanvasSettings(base_url=base, auth="oauth", client_id=client_id)
    else:
        config.canvas = CanvasSettings(base_url=base, token=token)
    config.live.url = ask_live_url(existing.live.url, existing.live.poll_seconds)
    written = config_module.save(config, path)
    print(f"Connected. Config written to {written} (mode 0600). Start with: tui-inbox")
    if not config.live.url:
        print(f"No live-events URL: the app asks Canvas for new messages every {config.live.poll_seconds:g} s. "
              f"For live updates set [live] url in {written} to your school's relay "
              "(the README's \"Live events for a whole school\").")
    return 0


def add_account_to(config: Config, path, base: str, way: str, token: str | None, client_id: str | None,
                   name: str | None, no_browser: bool) -> int:
    """The account init checked, added as one more [[accounts]] table: refused, before the browser
    opens and before anything is written, if its name is taken or the file has it already."""
    from . import add_account
    from .config import AccountSettings

    chosen = add_account.new_name(config, base, name)
    if way == BROWSER:
        from .signin.commands import sign_in_and_keep

        client_id = client_id or ask_client_id("")
        add_account.refuse_same_sign_in(config, base, client_id)
        sign_in_and_keep(base, client_id, no_browser=no_browser)
        canvas = CanvasSettings(base_url=base, auth="oauth", client_id=client_id)
    else:
        assert token is not None
        me = whose(base, token)
        if not isinstance(me, CanvasError):
            add_account.refuse_same_user(config, base, me.id, me.name)
        canvas = CanvasSettings(base_url=base, token=token)
    live_url = ask_live_url("", config.live.poll_seconds)
    add_account.append(config, AccountSettings(chosen, canvas, live_url))
    written = config_module.save(config, path)
    names = ", ".join(account.name for account in config.accounts)
    print(f"Added account {chosen!r}. Config written to {written} (mode 0600); its accounts: {names}. "
          "`tui-inbox accounts` checks them all.")
    return 0
