"""Inbox Settings as Canvas serves them: the account switches and the signature and
out-of-office reply a user keeps, over GraphQL."""

from __future__ import annotations

from tests.conftest import user_client

QUERY = """query InboxSettings { myInboxSettings { _id userId useSignature signature useOutOfOffice
  outOfOfficeFirstDate outOfOfficeLastDate outOfOfficeSubject outOfOfficeMessage createdAt updatedAt } }"""

MUTATION = """mutation Save($input: UpdateMyInboxSettingsInput!) { updateMyInboxSettings(input: $input) {
  myInboxSettings { userId useSignature signature useOutOfOffice outOfOfficeFirstDate outOfOfficeLastDate
    outOfOfficeSubject outOfOfficeMessage }
  errors { attribute message } } }"""


def graphql(client, query: str, variables: dict | None = None, operation: str | None = None):
    response = client.post("/api/graphql", json={"query": query, "variables": variables, "operationName": operation})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_school_has_both_inbox_switches_on(shared_sandbox):
    """app/controllers/accounts_controller.rb ``environment`` renders the root account's
    settings named in application_controller.rb ``js_env_root_account_settings``, the four
    Inbox switches among them."""
    with user_client(shared_sandbox, "teacher") as teacher:
        response = teacher.get("/api/v1/settings/environment")
    assert response.status_code == 200, response.text
    settings = response.json()
    assert settings["enable_inbox_signature_block"] is True and settings["enable_inbox_auto_response"] is True
    assert settings["disable_inbox_signature_block_for_students"] is False
    assert settings["disable_inbox_auto_response_for_students"] is False
    assert settings["calendar_contexts_limit"] == 10


def test_a_school_can_turn_the_switches_off(make_sandbox):
    """accounts_controller.rb ``environment``: the account's own values, false where turned off."""
    off = make_sandbox(seed=1, inbox_settings=False)
    with user_client(off, "teacher") as teacher:
        settings = teacher.get("/api/v1/settings/environment").json()
    assert settings["enable_inbox_signature_block"] is False and settings["enable_inbox_auto_response"] is False


def test_a_user_who_never_saved_gets_the_defaults(shared_sandbox):
    """app/graphql/types/query_type.rb ``my_inbox_settings`` and app/services/inbox/inbox_service.rb
    ``default_inbox_settings``: nothing on, nothing written."""
    with user_client(shared_sandbox, "teacher") as teacher:
        answer = graphql(teacher, QUERY)
    assert "errors" not in answer
    settings = answer["data"]["myInboxSettings"]
    assert settings["userId"] == "1" and settings["useSignature"] is False and settings["signature"] is None
    assert settings["useOutOfOffice"] is False and settings["outOfOfficeMessage"] is None


def test_saving_replaces_every_field_and_is_the_users_own(sandbox):
    """app/graphql/mutations/update_my_inbox_settings.rb and its spec
    (spec/graphql/mutations/update_my_inbox_settings_spec.rb): the dates come back as ISO 8601,
    a second save without a field empties it (inbox_settings_repository.rb assigns each one),
    and another user's settings are untouched."""
    teacher, student = user_client(sandbox, "teacher"), user_client(sandbox, "student")
    with teacher, student:
        saved = graphql(teacher, MUTATION, {"input": {
            "useSignature": True, "signature": "Dr. Okafor\nBIO 101", "useOutOfOffice": True,
            "outOfOfficeFirstDate": "2024-04-09T00:00:00Z", "outOfOfficeLastDate": "2024-04-10T00:00:00Z",
            "outOfOfficeSubject": "Out of office", "outOfOfficeMessage": "Back on Monday"}})["data"]
        settings = saved["updateMyInboxSettings"]["myInboxSettings"]
        assert saved["updateMyInboxSettings"]["errors"] is None
        assert settings["signature"] == "Dr. Okafor\nBIO 101" and settings["useOutOfOffice"] is True
        assert settings["outOfOfficeFirstDate"] == "2024-04-09T00:00:00Z"
        assert settings["outOfOfficeLastDate"] == "2024-04-10T00:00:00Z"
        assert graphql(teacher, QUERY)["data"]["myInboxSettings"]["outOfOfficeMessage"] == "Back on Monday"

        graphql(teacher, MUTATION, {"input": {"useSignature": True, "useOutOfOffice": False, "signature": "M. O."}})
        again = graphql(teacher, QUERY)["data"]["myInboxSettings"]
        assert again["signature"] == "M. O." and again["outOfOfficeMessage"] is None
        assert again["outOfOfficeFirstDate"] is None and again["createdAt"] and again["updatedAt"]
        assert graphql(student, QUERY)["data"]["myInboxSettings"]["useSignature"] is False


def test_the_required_switches_and_a_malformed_query_are_graphql_errors(sandbox):
    """update_my_inbox_settings_spec.rb "use_signature is required": the input's two Boolean!
    arguments; a query that does not parse is an ``errors`` answer, not a server error."""
    with user_client(sandbox, "teacher") as teacher:
        missing = graphql(teacher, "mutation { updateMyInboxSettings(input: {useOutOfOffice: true}) "
                                   "{ myInboxSettings { useSignature } } }")
        assert "useSignature" in missing["errors"][0]["message"] and missing.get("data") is None
        broken = graphql(teacher, "query { myInboxSettings { ")
        assert broken["errors"] and broken.get("data") is None
        assert graphql(teacher, QUERY)["data"]["myInboxSettings"]["useSignature"] is False
        assert teacher.post("/api/graphql", json={}).json()["errors"]


def test_graphql_needs_a_token(sandbox):
    """app/controllers/graphql_controller.rb answers only a signed-in user (or a token)."""
    import httpx

    response = httpx.post(f"{sandbox.base_url}/api/graphql", json={"query": QUERY}, timeout=10)
    assert response.status_code == 401


def test_the_sandbox_command_has_a_flag_for_a_school_without_them():
    """``tui-inbox sandbox --no-inbox-settings`` serves the school with both switches off."""
    from tui_inbox.cli import build_parser, knobs_from

    assert knobs_from(build_parser().parse_args(["sandbox"])).inbox_settings is True
    assert knobs_from(build_parser().parse_args(["sandbox", "--no-inbox-settings"])).inbox_settings is False
