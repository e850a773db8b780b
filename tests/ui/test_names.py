"""One name for a person everywhere: the display name, as Canvas's own Inbox shows people.

Canvas sends a conversation participant's display name (``short_name``) as ``name`` and the
user's full name as ``full_name`` (canvas-lms lib/api/v1/conversation.rb,
``conversation_user_json``: ``:name => user.short_name, :full_name => user.name``); its web Inbox
names people by ``name``, and so do its generated lines ("X was added to the conversation by Y",
app/models/conversation_message.rb), discussions (``display_name``) and recipient search. The
thread's With line, which names who reads the conversation formally, gives the full name.
"""

from __future__ import annotations

from tests.conftest import open_row, ready, settle, user_client
from tests.waiting import async_wait_until
from tui_inbox.inbox.formatting import participants_label


def test_the_sandbox_sends_the_display_name_as_name_and_the_full_name_beside_it(fixed_sandbox):
    """lib/api/v1/conversation.rb ``conversation_user_json``; the profile's ``short_name`` is the
    display name (app/models/user.rb), ``name`` the full one."""
    with user_client(fixed_sandbox, "teacher") as teacher:
        me = teacher.get("/api/v1/users/self").json()
        listed = teacher.get("/api/v1/conversations", params={"per_page": 5}).json()
        shown = teacher.get(f"/api/v1/conversations/{listed[0]['id']}", params={"auto_mark_as_read": "0"}).json()
    assert (me["name"], me["short_name"]) == ("Margaret Okafor", "Maggie Okafor")
    for conversation in [*listed, shown]:
        mine = next(p for p in conversation["participants"] if p["id"] == me["id"])
        assert (mine["name"], mine["full_name"]) == ("Maggie Okafor", "Margaret Okafor")


async def test_the_teacher_and_a_student_go_by_their_display_names_with_full_names_on_the_with_line(
        make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await async_wait_until(lambda: app.status.message.startswith("Signed in as"))
        assert app.status.message == "Signed in as Maggie Okafor"

        cid = await open_row(pilot, "Lab report extension")
        conversation = app.session.current
        jane = next(p for p in conversation.participants if p.id != app.session.me_id)
        assert (jane.name, jane.full_name) == ("Jane", "Jane Doe")  # the seeded display name is her first name
        row = app.session.row(cid)
        assert participants_label(row, app.session.me_id) == "Jane"  # the list's column, as in Canvas's Inbox

        await settle(pilot)
        header = app.thread.query_one(".thread-header").content.plain
        with_line = next(line for line in header.splitlines() if line.startswith("With: "))
        # The full name, which says "Jane" already; both where it does not say "Maggie Okafor".
        assert sorted(with_line.removeprefix("With: ").split(", ")) == [
            "Jane Doe", "Maggie Okafor (Margaret Okafor) (me)"]
        blocks = [str(block.content) for block in app.thread.query("MessageBlock")]
        authors = {m.author_id for m in conversation.messages}
        assert authors == {jane.id, app.session.me_id}
        assert all(text.startswith(("Jane  ", "Maggie Okafor  ")) for text in blocks)
        assert not any("Margaret" in text or "Jane Doe" in text for text in blocks)


def test_a_person_without_a_display_name_goes_by_the_full_name():
    from tui_inbox.inbox.formatting import display_name, formal_name

    assert display_name("", "Jane Doe") == "Jane Doe" and display_name("Jane", "Jane Doe") == "Jane"
    assert formal_name("", "Jane Doe") == formal_name("Jane", "Jane Doe") == "Jane Doe"
    assert formal_name("Maggie Okafor", "Margaret Okafor") == "Maggie Okafor (Margaret Okafor)"
    assert formal_name("Rhea", None) == "Rhea"
