"""A reply in a discussion waits out the send delay, `u` brings it back, and the post it answers
is shown above it (issue 19, item 15).

A discussion reply is public: before, it went at once, with no undo window and without the
post being answered in view. The real app against the sandbox; what reached Canvas is read
back through the API.
"""

from __future__ import annotations

from tests.conftest import user_client
from tests.ui.test_compose import SIZE, closed, settle, started
from tests.waiting import async_wait_until
from tests.ui.test_outbox_undo_send import counting_down
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.changes import OutboxSaid
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen

WORDS = "I would rather meet on Friday"


def app_with_delay(sandbox, tmp_path, delay: float) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    return InboxApp(InboxSession(client, drafts=DraftStore(tmp_path / "d.sqlite3", "acct"), send_delay=delay))


def posted(sandbox, item) -> list[str]:
    course = item.context_code.removeprefix("course_")
    with user_client(sandbox) as api:
        entries = api.get(f"/api/v1/courses/{course}/discussion_topics/{item.topic_id}/entries").json()
    return [entry["message"] for entry in entries]


async def reply_to_a_topic(pilot):
    """Activity (6), the cursor on a discussion topic, r: the composer of a reply to it."""
    app = pilot.app
    await pilot.press("6")
    await async_wait_until(lambda: app.session.activity.loaded and app.activity_list.items)
    items = app.activity_list.items
    index = next(i for i, item in enumerate(items) if item.kind == "topic" and item.text)
    app.activity_list.highlighted = index
    app.activity_list.focus()
    await settle(pilot)
    await pilot.press("r")
    screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
    await settle(pilot)
    return screen, items[index]


async def test_the_post_answered_is_shown_above_the_reply(sandbox, tmp_path):
    app = app_with_delay(sandbox, tmp_path, 5)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen, item = await reply_to_a_topic(pilot)
        shown = str(screen.query_one("#context").query_one("Static").render())
        assert item.text.split("\n")[0][:40] in shown and item.author in shown


async def test_a_discussion_reply_waits_out_the_delay_and_u_brings_it_back(sandbox, tmp_path):
    app = app_with_delay(sandbox, tmp_path, 30)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen, item = await reply_to_a_topic(pilot)
        before = posted(sandbox, item)
        await pilot.press(*WORDS)
        await pilot.press("ctrl+s")
        await closed(pilot)
        assert counting_down(app.status.message, 30), app.status.message
        assert app.session.outbox.count == 1
        await pilot.press("u")
        back = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        assert back.draft.kind == "discussion_reply" and back.draft.body == WORDS
        assert app.session.outbox.count == 0
        assert posted(sandbox, item) == before  # nothing went to the discussion


async def test_a_discussion_reply_is_posted_once_its_delay_is_over(sandbox, tmp_path):
    app = app_with_delay(sandbox, tmp_path, 0.3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen, item = await reply_to_a_topic(pilot)
        await pilot.press(*WORDS)
        await pilot.press("ctrl+s")
        await closed(pilot)
        await async_wait_until(lambda: app.session.outbox.count == 0)
        assert sum(WORDS in message for message in posted(sandbox, item)) == 1
        assert app.session.load_draft(screen.draft.key) is None


async def test_a_queued_discussion_reply_whose_answer_was_lost_is_never_called_not_sent(tmp_path):
    """The POST left and the connection broke before Canvas answered (a fault the sandbox cannot
    make: httpx.MockTransport): the reply may be posted. A discussion has no delivery check, so
    the line says so and keeps the text, rather than "not sent" inviting a second public post."""
    import httpx

    from tui_inbox.canvas.models import User
    from tui_inbox.inbox.compose import Draft, RecipientRef

    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(request.url.path)
        raise httpx.ReadError("connection reset by peer", request=request)

    client = CanvasClient("https://canvas.example.edu", "t", transport=httpx.MockTransport(handler))
    store = DraftStore(tmp_path / "d.sqlite3", "acct")
    session = InboxSession(client, drafts=store)
    session.me = User(id=1, name="Me", short_name="Me", sortable_name="Me", login_id=None, avatar_url=None)
    said = []
    session.on_change(lambda change: said.append((change.line, change.failed)) if isinstance(change, OutboxSaid) else None)
    draft = Draft(kind="discussion_reply", context_code="course_1", topic_id=7, entry_id=None,
                  to=[RecipientRef("", "Ada")], body=WORDS)
    session.outbox.hold_message(draft)
    await session.outbox.flush()
    assert posts == ["/api/v1/courses/1/discussion_topics/7/entries"]  # asked once, not again
    (line, failed), = said
    assert failed and "may have been posted" in line and "not sent" not in line
    assert store.load(draft.key)["body"] == WORDS  # back in Drafts
    await client.aclose()
    store.close()
