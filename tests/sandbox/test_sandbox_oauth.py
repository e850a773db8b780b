"""The sandbox as Canvas's OAuth2 provider, over HTTP: sign in, authorize, exchange the code
with PKCE, call the API, refresh, sign out; and what a provider must refuse.

Read from canvas-lms: app/controllers/oauth2_provider_controller.rb (auth, accept, deny, token,
destroy), lib/canvas/oauth/provider.rb (final_redirect), lib/canvas/oauth/pkce.rb (S256),
lib/canvas/oauth/token.rb (the token JSON), lib/canvas/oauth/grant_types/authorization_code.rb,
authorization_code_with_pkce.rb, refresh_token.rb, lib/canvas/oauth/request_error.rb (errors),
app/models/developer_key.rb (redirect_domain_matches?), app/models/access_token.rb (usable?,
needs_refresh?, the student-token policy).
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.fake_browser import Refused, sign_in
from tests.sandbox.loopback_listener import Listener
from tests.sandbox.oauth_flow import authorize_url, code_for, exchange, me, pkce, refresh, signed_in_tokens, teacher
from tui_inbox.sandbox.oauth_state import OOB_URI
from tui_inbox.sandbox.people import token_for


def skip(sandbox, seconds: float) -> None:
    sandbox.call(sandbox.state.clock.skip, seconds)


def test_the_whole_flow_signs_in_calls_the_api_refreshes_and_signs_out(sandbox):
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), challenge, state="a b&c")
        answer = exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier)  # no secret: a public client
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "user", "refresh_token", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] in (3599, 3600)  # whole seconds, as Canvas
    assert body["user"] == {"id": 1, "name": "Margaret Okafor", "global_id": "21070000000000001",
                            "effective_locale": "en"}
    assert me(sandbox, body["access_token"]).json()["id"] == 1

    skip(sandbox, 10)  # past Canvas's five seconds in which a refresh hands back the same token
    renewed = refresh(sandbox, body["refresh_token"])
    assert renewed.status_code == 200
    assert set(renewed.json()) == {"access_token", "token_type", "user", "expires_in"}  # no new refresh token
    new_token = renewed.json()["access_token"]
    assert new_token != body["access_token"]
    assert me(sandbox, body["access_token"]).json() == {"errors": [{"message": "Invalid access token."}]}
    assert me(sandbox, new_token).status_code == 200

    out = httpx.delete(f"{sandbox.base_url}/login/oauth2/token", headers={"Authorization": f"Bearer {new_token}"})
    assert out.status_code == 200
    assert me(sandbox, new_token).json() == {"errors": [{"message": "Revoked access token."}]}
    again = refresh(sandbox, body["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert sandbox.grant_types() == ["authorization_code", "refresh_token", "refresh_token"]


def test_a_refresh_within_five_seconds_of_the_last_hands_back_the_same_token(sandbox):
    body = signed_in_tokens(sandbox)
    first = refresh(sandbox, body["refresh_token"]).json()["access_token"]
    second = refresh(sandbox, body["refresh_token"]).json()["access_token"]
    assert first == second == body["access_token"]


def test_the_redirect_uris_list_matches_exactly_and_only_the_legacy_field_any_port(sandbox):
    """developer_key.rb ``redirect_domain_matches?``: an entry of ``redirect_uris`` must match whole;
    the legacy ``redirect_uri`` matches by scheme and host, any port and path. So a loopback listener
    on a free port needs the legacy field, as the README tells the school's admin."""
    key = sandbox.state.oauth.key
    listener = "http://127.0.0.1:54321/callback"
    assert key.redirect_matches(listener)  # through the legacy field
    sandbox.call(setattr, key, "redirect_uri", "https://app.example.edu")
    sandbox.call(setattr, key, "redirect_uris", ["http://127.0.0.1", OOB_URI])
    assert not key.redirect_matches(listener)  # the list alone: no free port gets through
    assert key.redirect_matches("http://127.0.0.1") and key.redirect_matches(OOB_URI)
    assert not key.redirect_matches("https://127.0.0.1:54321/callback")


def test_the_first_line_lists_the_developer_key_and_each_users_login(sandbox):
    key = sandbox.info.developer_key
    assert key["client_id"].isdigit() and len(key["client_secret"]) == 64
    assert key["redirect_uris"] == [OOB_URI] and key["redirect_uri"] == "http://127.0.0.1"
    line = sandbox.info.as_json()
    assert line["developer_key"] == key
    assert all(u["login_id"] and u["password"] for u in line["users"])


def test_a_code_works_once(sandbox):
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), challenge)
        assert exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier).status_code == 200
        replay = exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_a_verifier_that_does_not_match_is_refused_and_spends_the_challenge(sandbox):
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), challenge)
        wrong = exchange(sandbox, code, listener.redirect_uri, code_verifier=pkce()[0])
        right_too_late = exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # pkce.rb reads the challenge once and deletes it: a second guess cannot succeed either.
    assert (right_too_late.status_code, right_too_late.json()["error"]) == (400, "invalid_grant")


def test_a_code_without_a_verifier_or_a_secret_is_refused(sandbox):
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), challenge)
        answer = exchange(sandbox, code, listener.redirect_uri)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client", "error_description": "invalid client"}
    assert answer.headers["www-authenticate"] == "Canvas OAuth 2.0"


def test_a_code_expires_after_ten_minutes(sandbox):
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), challenge)
        skip(sandbox, 601)
        answer = exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("redirect_uri", ["http://localhost:8080/callback", "https://127.0.0.1/callback",
                                          "http://evil.example/callback", "http://127.0.0.1.evil.example/cb", ""])
def test_a_redirect_uri_the_key_does_not_list_gets_an_error_page_not_a_redirect(sandbox, redirect_uri):
    answer = httpx.get(authorize_url(sandbox, redirect_uri, challenge=pkce()[1]))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.json() == {"error": "invalid_request", "error_description": "redirect_uri does not match client settings"}


@pytest.mark.parametrize("redirect_uri", ["http://127.0.0.1:54321/callback", "http://127.0.0.1/", OOB_URI])
def test_a_loopback_redirect_on_any_port_is_accepted_as_canvas_accepts_it(sandbox, redirect_uri):
    answer = httpx.get(authorize_url(sandbox, redirect_uri, challenge=pkce()[1]))
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login/canvas"


@pytest.mark.parametrize("client_id", ["99", "not-a-number", ""])
def test_an_unknown_client_id_is_refused_without_a_redirect(sandbox, client_id):
    url = authorize_url(sandbox, "http://127.0.0.1:5000/cb", challenge=pkce()[1]).replace(
        "client_id=" + sandbox.info.developer_key["client_id"], "client_id=" + client_id)
    answer = httpx.get(url)
    assert answer.status_code == 401
    assert "location" not in answer.headers
    assert answer.json() == {"error": "invalid_client", "error_description": "unknown client"}


def test_a_wrong_password_shows_the_login_page_again_with_canvas_message(sandbox):
    with Listener() as listener:
        with pytest.raises(Refused) as refused:
            sign_in(authorize_url(sandbox, listener.redirect_uri, challenge=pkce()[1]),
                    teacher(sandbox)["login_id"], "not-the-password")
        assert listener.requests == []  # nothing reached the app
    assert "Please verify your username or password and try again." in str(refused.value)


def test_deny_redirects_with_access_denied_and_the_state(sandbox):
    with Listener() as listener:
        landed = sign_in(authorize_url(sandbox, listener.redirect_uri, state="xyz", challenge=pkce()[1]),
                         teacher(sandbox)["login_id"], teacher(sandbox)["password"], "deny")
        assert landed.status_code == 200
        assert listener.requests == [{"error": "access_denied", "state": "xyz"}]


def test_the_out_of_band_redirect_ends_on_canvas_page_showing_the_code(sandbox):
    verifier, challenge = pkce()
    landed = sign_in(authorize_url(sandbox, OOB_URI, challenge=challenge), teacher(sandbox)["login_id"],
                     teacher(sandbox)["password"])
    query = parse_qs(urlsplit(str(landed.url)).query)
    code = query["code"][0]
    assert query["state"] == ["st-1"]
    assert f'<code id="code">{code}</code>' in landed.text
    assert exchange(sandbox, code, OOB_URI, code_verifier=verifier).status_code == 200


def test_a_login_form_without_its_authenticity_token_is_refused(sandbox):
    with httpx.Client(base_url=sandbox.base_url) as browser:
        browser.get(authorize_url(sandbox, "http://127.0.0.1:5000/cb", challenge=pkce()[1]))
        answer = browser.post("/login/canvas", data={"pseudonym_session[unique_id]": teacher(sandbox)["login_id"],
                                                     "pseudonym_session[password]": teacher(sandbox)["password"]})
    assert answer.status_code == 422
    assert "location" not in answer.headers


def test_a_wrong_client_secret_is_refused(sandbox):
    body = signed_in_tokens(sandbox)
    answer = refresh(sandbox, body["refresh_token"], client_secret="0" * 64)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_an_expired_access_token_gets_canvas_401_and_a_refresh_brings_it_back(sandbox):
    body = signed_in_tokens(sandbox)
    skip(sandbox, 3601)
    expired = me(sandbox, body["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"errors": [{"message": "Expired access token."}]}
    assert expired.headers["www-authenticate"] == 'Bearer realm="canvas-lms"'
    renewed = refresh(sandbox, body["refresh_token"])
    assert renewed.json()["expires_in"] in (3599, 3600)
    assert me(sandbox, renewed.json()["access_token"]).status_code == 200


async def test_an_expired_access_token_is_refused_at_the_live_handshake(sandbox):
    body = signed_in_tokens(sandbox)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with connect(sandbox.live_url, additional_headers=headers):
        pass  # accepted while it is fresh
    sandbox.expire_tokens()
    with pytest.raises(InvalidStatus) as refused:
        async with connect(sandbox.live_url, additional_headers=headers):
            pass
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body) == {"errors": [{"message": "Expired access token."}]}


def test_token_seconds_is_a_knob(make_sandbox):
    short = make_sandbox(seed=1, oauth_token_seconds=5)
    body = signed_in_tokens(short)
    assert body["expires_in"] in (4, 5)
    skip(short, 6)
    assert me(short, body["access_token"]).status_code == 401


def test_a_refresh_after_the_tokens_are_revoked_is_invalid_grant(sandbox):
    body = signed_in_tokens(sandbox)
    assert sandbox.revoke_tokens(1) == 1
    assert me(sandbox, body["access_token"]).json() == {"errors": [{"message": "Revoked access token."}]}
    answer = refresh(sandbox, body["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "refresh_token not found"}


def test_signing_out_without_a_token_is_canvas_400(sandbox):
    answer = httpx.delete(f"{sandbox.base_url}/login/oauth2/token")
    assert answer.status_code == 400
    assert answer.json() == {"message": "can't delete OAuth access token when not using an OAuth access token"}


def test_students_personal_tokens_are_refused_when_the_school_restricts_them(make_sandbox):
    restricted = make_sandbox(seed=1, restrict_student_tokens=True)
    student = next(u for u in restricted.info.users if u["role"] == "student")
    assert student["token"] is None  # none could be made
    refused = me(restricted, token_for(1, student["id"]))
    assert refused.status_code == 401
    assert refused.json() == {"errors": [{"message": "Invalid access token."}]}
    assert me(restricted, teacher(restricted)["token"]).status_code == 200  # staff keep theirs
    body = signed_in_tokens(restricted, student)  # signing in with OAuth still works
    assert me(restricted, body["access_token"]).json()["id"] == student["id"]


def test_the_command_takes_the_oauth_flags_and_prints_the_key(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "sandbox", "--oauth-token-seconds", "5",
                              "--restrict-student-tokens"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(child.stdout.readline())
        assert set(line["developer_key"]) == {"client_id", "client_secret", "redirect_uris", "redirect_uri"}
        assert all(u["token"] is None for u in line["users"] if u["role"] in ("student", "observer"))
        assert all(u["token"] for u in line["users"] if u["role"] == "teacher")

        class Running:  # what the helpers above need of a sandbox
            base_url = line["base_url"]
            info = type("Info", (), {"developer_key": line["developer_key"], "users": line["users"]})

        assert signed_in_tokens(Running)["expires_in"] in (4, 5)
    finally:
        child.terminate()
        child.wait(10)


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_token_lifetime_is_one_line_and_exit_2(value):
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "sandbox", "--oauth-token-seconds", value],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()] and "--oauth-token-seconds" in done.stderr


def test_a_disabled_developer_key_refuses_its_tokens_and_their_refresh(sandbox):
    body = signed_in_tokens(sandbox)
    sandbox.set_key_active(False)
    assert me(sandbox, body["access_token"]).status_code == 401
    answer = refresh(sandbox, body["refresh_token"])
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client", "error_description": "unknown client"}
    sandbox.set_key_active(True)
    assert refresh(sandbox, body["refresh_token"]).status_code == 200


def test_what_the_user_typed_comes_back_escaped_on_the_login_page(sandbox):
    typed = '"><script>alert(1)</script>'
    with httpx.Client(base_url=sandbox.base_url) as browser:
        browser.get(authorize_url(sandbox, "http://127.0.0.1:5000/cb", challenge=pkce()[1]), follow_redirects=True)
        page = browser.get("/login/canvas").text
        csrf = page.split('name="authenticity_token" value="')[1].split('"')[0]
        answer = browser.post("/login/canvas", data={"authenticity_token": csrf, "pseudonym_session[unique_id]": typed,
                                                     "pseudonym_session[password]": "x"})
    assert answer.status_code == 400
    assert "<script>" not in answer.text and "&lt;script&gt;" in answer.text


def test_a_response_type_other_than_code_is_redirected_back_with_canvas_error(sandbox):
    url = authorize_url(sandbox, "http://127.0.0.1:5000/cb", state="s9").replace("response_type=code",
                                                                                  "response_type=token")
    answer = httpx.get(url)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.headers["location"].startswith("http://127.0.0.1:5000/cb?")
    assert query == {"error": ["unsupported_response_type"], "error_description": ["Only response_type=code is permitted"],
                     "state": ["s9"]}


def test_a_plain_challenge_is_not_pkce_so_a_verifier_cannot_redeem_the_code(sandbox):
    """pkce.rb supports S256 only: with "plain" the code carries no challenge, and a verifier
    sent with it fails, as Canvas's AuthorizationCodeWithPKCE finds no challenge to compare."""
    verifier = pkce()[0]
    with Listener() as listener:
        url = authorize_url(sandbox, listener.redirect_uri) + "&" + urlencode(
            {"code_challenge": verifier, "code_challenge_method": "plain"})
        sign_in(url, teacher(sandbox)["login_id"], teacher(sandbox)["password"])
        answer = exchange(sandbox, listener.requests[-1]["code"], listener.redirect_uri, code_verifier=verifier)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_text_beyond_ascii_in_a_password_or_a_verifier_is_refused_not_a_crash(sandbox):
    with pytest.raises(Refused) as refused:
        sign_in(authorize_url(sandbox, "http://127.0.0.1:5000/cb", challenge=pkce()[1]),
                teacher(sandbox)["login_id"], "pässwörd 🌟")
    assert "Please verify your username or password" in str(refused.value)
    with Listener() as listener:
        code = code_for(sandbox, listener, teacher(sandbox), "défi-ü")
        answer = exchange(sandbox, code, listener.redirect_uri, code_verifier="vérifier-ü")
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
