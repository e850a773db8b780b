"""The relay for a school that signs in with OAuth2: it publishes the developer key's client id
(``/.well-known/tui-inbox.json``), streams to an OAuth access token as to a personal one, refuses
one that expired or was revoked with Canvas's own 401, and takes the refreshed token on reconnect.

Canvas's side is the sandbox, read from canvas-lms app/models/access_token.rb (``usable?``,
``needs_refresh?``) and app/controllers/oauth2_provider_controller.rb; the ids are
lib/canvas/oauth/provider.rb's (``client_id_is_valid?``: an integer).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.relay.test_relay_command import relay_env, run_relay_command
from tests.relay_fixtures import Listener
from tests.sandbox.oauth_flow import refresh, signed_in_tokens
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasError
from tui_inbox.relay.identity import Identities, Refusal
from tui_inbox.relay.server import school_relay
from tui_inbox.relay.settings import RelaySettings
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs

JANE, LAB_REPORT = 10, 1  # the seeded conversation between Jane and the teacher


class School:
    """The in-process sandbox delivering as Data Services to one relay that knows the app's key."""

    def __init__(self, nats_url: str) -> None:
        self.sandbox = RunningSandbox(Knobs(seed=1))
        users = self.sandbox.info.users
        admin = next(u["token"] for u in users if u["role"] == "admin")
        self.jane_token = next(u["token"] for u in users if u["id"] == JANE)
        settings = RelaySettings(canvas_url=self.sandbox.base_url, admin_token=admin, nats_urls=[nats_url],
                                 jwks_url=self.sandbox.info.jwks_url, route_retry_seconds=0.05, ack_wait_seconds=2.0,
                                 client_id=self.sandbox.info.developer_key["client_id"])
        self.relay = school_relay(settings).start()
        try:
            self.sandbox.state.knobs = dataclasses.replace(self.sandbox.state.knobs,
                                                           data_services_url=self.relay.info.events_url)
            self.sandbox.start()
        except BaseException:
            self.relay.stop()
            raise

    def jane_writes(self, body: str) -> None:
        answer = httpx.post(f"{self.sandbox.base_url}/api/v1/conversations/{LAB_REPORT}/add_message",
                            data={"body": body}, headers={"Authorization": f"Bearer {self.jane_token}"})
        assert answer.status_code == 200

    def stop(self) -> None:
        self.sandbox.stop()
        self.relay.stop()


@pytest.fixture
def school(nats_server):
    place = School(nats_server.url)
    yield place
    place.stop()


def messages(listener: Listener) -> list[str]:
    return [name for name, _ in listener.names() if name == "conversation_message_created"]


async def refused_body(live_url: str, token: str) -> tuple[int, dict]:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(live_url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10):
            pass
    return refused.value.response.status_code, json.loads(refused.value.response.body)


def test_the_well_known_document_names_canvas_the_key_and_the_live_url(school):
    base = school.relay.base_url
    document = httpx.get(base + "/.well-known/tui-inbox.json")
    assert document.status_code == 200
    assert document.json() == {"canvas_url": school.sandbox.base_url,
                               "client_id": school.sandbox.info.developer_key["client_id"],
                               "live_url": school.relay.info.live_url}
    # Behind the school's TLS proxy (on this machine, so trusted), the URL users reach is the one given.
    proxied = httpx.get(base + "/.well-known/tui-inbox.json",
                        headers={"Host": "relay.school.edu", "X-Forwarded-Proto": "https"})
    assert proxied.json()["live_url"] == "wss://relay.school.edu/live"


async def test_an_oauth_token_streams_expires_with_canvas_401_and_the_refreshed_one_streams_again(school):
    sandbox, live_url = school.sandbox, school.relay.info.live_url
    tokens = signed_in_tokens(sandbox)  # the teacher, through Canvas's pages, with PKCE
    async with Listener(live_url, tokens["access_token"]) as teacher:
        school.jane_writes("before the hour is up")
        await async_wait_until(lambda: len(messages(teacher)) == 1)

    sandbox.expire_tokens(1)
    status, body = await refused_body(live_url, tokens["access_token"])
    assert (status, body) == (401, {"errors": [{"message": "Expired access token."}]})  # the app knows to refresh

    renewed = refresh(sandbox, tokens["refresh_token"]).json()["access_token"]
    async with Listener(live_url, renewed) as teacher:
        school.jane_writes("after the refresh")
        await async_wait_until(lambda: len(messages(teacher)) == 1)
    assert sandbox.grant_types() == ["authorization_code", "refresh_token"]


async def test_a_revoked_token_is_refused_at_once_though_its_user_was_just_seen(school):
    sandbox, live_url = school.sandbox, school.relay.info.live_url
    tokens = signed_in_tokens(sandbox)
    async with Listener(live_url, tokens["access_token"]):
        pass  # the relay now knows this user's courses: it must still ask about the token
    sandbox.revoke_tokens(1)
    assert await refused_body(live_url, tokens["access_token"]) == (401, {"errors": [{"message": "Revoked access token."}]})


def test_the_command_publishes_its_client_id(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_inbox.cli", "relay", "--canvas-url", "http://127.0.0.1:9", "--client-id",
         "21070000000000001"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        stdin=subprocess.DEVNULL, env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN="7~admin"))
    try:
        first = json.loads(process.stdout.readline())
        base = first["events_url"].removesuffix("/canvas/live-events")
        assert httpx.get(base + "/.well-known/tui-inbox.json", timeout=5).json() == {
            "canvas_url": "http://127.0.0.1:9", "client_id": "21070000000000001", "live_url": first["live_url"]}
    finally:
        process.terminate()
        process.communicate(timeout=15)


def test_a_client_id_that_is_not_a_number_is_one_line_and_exit_2():
    done = run_relay_command("--canvas-url", "http://127.0.0.1:9", "--client-id", "my-app",
                             env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN="7~admin"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert "--client-id must be the developer key's ID, all digits" in done.stderr


def canvas_answering(status: int, body: bytes, content_type: str = "application/json") -> httpx.AsyncClient:
    """A Canvas that answers /users/self this way: shapes the sandbox never sends."""
    asked = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    client.asked = asked
    return client


@pytest.mark.parametrize("body, content_type, passed_on", [
    (b"<html>Unauthorized</html>", "text/html", {"errors": [{"message": "Invalid access token."}]}),
    (json.dumps({"errors": [{"message": "x" * 5000}]}).encode(), "application/json",
     {"errors": [{"message": "x" * 200}]}),
    (json.dumps({"errors": "a bare string", "token": "7~leak"}).encode(), "application/json",
     {"errors": [{"message": "Invalid access token."}]}),
], ids=["html", "long", "odd-shape"])
async def test_a_401_from_canvas_is_passed_on_cut_to_its_short_messages(body, content_type, passed_on):
    async with canvas_answering(401, body, content_type) as http:
        refused = await Identities("https://canvas.test", http=http).resolve("7~t")
    assert refused == Refusal(passed_on)


async def test_a_canvas_that_fails_twice_is_an_error_not_a_refusal():
    async with canvas_answering(503, b"busy", "text/plain") as http:
        with pytest.raises(CanvasError):
            await Identities("https://canvas.test", http=http).resolve("7~t")
        assert http.asked == ["/api/v1/users/self"] * 2  # one quick second try, then the handshake gets 503
