"""Large sends: a message to a 150-student course goes out as a bulk message in the background.

Canvas refuses more than 100 people unless ``bulk_message`` and ``group_conversation`` are
true, and an async send answers at once with a batch that ``/conversations/batches`` lists
until it is delivered (canvas-api.md section 3, seed 002). The app is driven with keys against
a sandbox seeded with a 150-student BIO 101; what arrived is checked through the API.
"""

from __future__ import annotations

from textual.widgets import ProgressBar, RadioButton, Static

from tests.conftest import open_composer, ready, user_client
from tests.ui.test_compose import choose
from tests.client.test_client_delivery import FAST, Flaky
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.ui.screens.compose import ComposeScreen, Suggestions
from tui_inbox.ui.widgets.bulk_progress import BulkProgress

STUDENTS = 150
SLOW = 30.0  # seconds a whole bulk send may take on a busy machine


def big_course(make_sandbox, **knobs):
    return make_sandbox(seed=1, course_students=STUDENTS, **knobs)


def bio_students(sandbox) -> set[int]:
    with user_client(sandbox, "teacher") as api:
        found, page = [], api.get("/api/v1/search/recipients", params={"context": "course_1_students", "per_page": 100})
        while True:
            found += page.json()
            following = page.links.get("next")
            if not following:
                return {int(u["id"]) for u in found}
            page = api.get(following["url"])


async def sent_with_subject(sandbox, subject: str):
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"), retry=FAST) as clean:
        return [c for c in await clean.load_conversations("sent") if c.subject == subject]


# -- the sandbox's 150-student course ---------------------------------------------------------------------

def test_the_big_course_needs_a_bulk_message_which_takes_visible_time(make_sandbox):
    big = big_course(make_sandbox, send_item_seconds=0.02)
    assert len(bio_students(big)) == STUDENTS
    with user_client(big, "teacher") as api:
        roles = api.get("/api/v1/search/recipients", params={"context": "course_1", "synthetic_contexts": "true"}).json()
        assert {r["id"]: r.get("user_count") for r in roles}["course_1_students"] == STUDENTS

        refused = api.post("/api/v1/conversations", data={"recipients[]": "course_1_students", "body": "hello"})
        assert refused.status_code == 400
        assert refused.json() == [{"attribute": "recipients", "message": "too many for group conversation"}]

        sent = api.post("/api/v1/conversations", data={"recipients[]": "course_1_students", "body": "hello all",
                                                      "subject": "Welcome", "group_conversation": "true",
                                                      "bulk_message": "true", "mode": "async"})
        assert sent.status_code == 202 and sent.json() == []
        batch_id = int(sent.headers["X-Conversation-Batch-Id"])
        [running] = [b for b in api.get("/api/v1/conversations/batches").json() if b["id"] == batch_id]
        assert running["subject"] == "Welcome" and running["completion"] < 1.0  # three seconds of sending


# -- exactly once -----------------------------------------------------------------------------------------

async def test_an_async_send_whose_answer_was_lost_is_followed_not_sent_again(make_sandbox):
    big = big_course(make_sandbox, send_item_seconds=0.01)
    flaky = Flaky({("POST", "/api/v1/conversations"): ["lost"]})
    async with CanvasClient(big.base_url, big.info.token_of("teacher"), transport=flaky, retry=FAST) as client:
        made = await client.send_new(["course_1_students"], "Lab moved to room 4", author_id=1, subject="Lab room",
                                     group_conversation=True, bulk_message=True, mode="async")
        # The batch was found running: the caller follows it rather than taking a few early conversations for all.
        assert made.batch_id is not None and made.conversations == []
        assert flaky.sent.count(("POST", "/api/v1/conversations")) == 1
        await async_wait_until(lambda: _gone(client, made.batch_id), timeout=SLOW)
    arrived = await sent_with_subject(big, "Lab room")
    assert len(arrived) == STUDENTS and {c.audience[0] for c in arrived} == bio_students(big)


async def _gone(client: CanvasClient, batch_id: int) -> bool:
    return all(b.id != batch_id for b in await client.get_running_batches())


# -- the app ----------------------------------------------------------------------------------------------

def send_bar(app) -> BulkProgress:
    return app.query_one("#send-progress", BulkProgress)


def bar_shows_part(app) -> bool:
    bar = send_bar(app)
    progress = bar.query_one(ProgressBar)
    return bar.display and progress.total == STUDENTS and 0 < (progress.progress or 0) < STUDENTS


async def test_a_message_to_the_150_students_of_bio_101_goes_out_in_the_background(make_sandbox, make_inbox_app):
    big = big_course(make_sandbox, send_item_seconds=0.05)  # 7.5 s: still running when checked, on a busy machine too
    app = make_inbox_app(sandbox=big)
    app.session.bulk.poll_seconds = 0.05
    async with app.run_test(size=(110, 32)) as pilot:
        await ready(pilot)
        screen: ComposeScreen = await open_composer(pilot, "c")
        await pilot.press(*"BIO")

        def offered():
            suggestions = screen.query_one(Suggestions)
            ids = [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)]
            return ids.index("course_1_students") + 1 if suggestions.display and "course_1_students" in ids else None

        index = await async_wait_until(offered) - 1
        assert f"{STUDENTS} people" in str(screen.query_one(Suggestions).get_option_at_index(index).prompt)
        await pilot.press(*["down"] * index, "tab")
        assert [(r.id, r.count) for r in screen.draft.to] == [("course_1_students", STUDENTS)]
        assert f"Students in BIO 101  {STUDENTS}" in str(screen.query_one("#to-chips", Static).content)

        # The composer says what Canvas requires, and sets it.
        notice = screen.query_one("#compose-where", Static)
        await async_wait_until(lambda: screen.query_one("#delivery-new_separate", RadioButton).value)
        assert notice.display and "150 people: Canvas takes more than 100 only as individual messages" in str(notice.content)
        group = screen.query_one("#delivery-group", RadioButton)
        await choose(pilot, screen, "group")  # a group conversation of 150: Canvas would refuse it
        await async_wait_until(lambda: not group.value and screen.draft.individual)
        assert "Over 100 people Canvas takes only individual messages" in screen.status_text

        screen.query_one("#subject").focus()
        await pilot.press(*"Field trip")
        screen.query_one("#body").focus()
        await pilot.press(*"Bus leaves at 8.")
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        # Said when the composer closed (the log keeps it, even once a later line has replaced it).
        assert any("Sending to 150 people in the background" in entry.text for entry in app.status.history)

        # Async: Canvas lists the batch while it runs, and the bar shows part of it done.
        with user_client(big, "teacher") as api:
            listed = api.get("/api/v1/conversations/batches").json()
        assert [b["subject"] for b in listed] == ["Field trip"]
        await async_wait_until(lambda: bar_shows_part(app), timeout=SLOW)
        assert "sending “Field trip” to 150" in str(send_bar(app).query_one("#bulk-label", Static).content)
        big.call(setattr, big.state.knobs, "send_item_seconds", 0.0)  # seen running: the rest at once

        await async_wait_until(lambda: not send_bar(app).display, timeout=SLOW)
        assert app.status.message == "Sent “Field trip” to 150 people, one conversation each."

    arrived = await sent_with_subject(big, "Field trip")
    assert len(arrived) == STUDENTS
    assert sorted(c.audience[0] for c in arrived) == sorted(bio_students(big))  # each student once
    assert all(not c.private for c in arrived)  # a bulk message: new conversations, not private threads


async def test_a_bulk_send_still_running_when_the_app_starts_is_shown_until_done(make_sandbox, make_inbox_app):
    big = big_course(make_sandbox, send_item_seconds=0.02)
    with user_client(big, "teacher") as api:
        started = api.post("/api/v1/conversations", data={
            "recipients[]": "course_1_students", "subject": "Exam room", "body": "The exam is in hall B.",
            "group_conversation": "true", "bulk_message": "true", "mode": "async"})
        assert started.status_code == 202
    app = make_inbox_app(sandbox=big)
    app.session.bulk.poll_seconds = 0.05
    async with app.run_test(size=(110, 32)) as pilot:
        await ready(pilot)
        await async_wait_until(lambda: bar_shows_part(app), timeout=SLOW)
        assert "sending “Exam room” to 150" in str(send_bar(app).query_one("#bulk-label", Static).content)
        big.call(setattr, big.state.knobs, "send_item_seconds", 0.0)  # seen running: the rest at once
        await async_wait_until(lambda: not send_bar(app).display, timeout=SLOW)
        assert app.status.message == "Sent “Exam room” to 150 people, one conversation each."
    assert len(await sent_with_subject(big, "Exam room")) == STUDENTS


def test_a_bad_course_size_is_one_line(capsys):
    import pytest

    from tui_inbox.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["sandbox", "--course-students", "many"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--course-students" in err and "'many' is not a whole number" in err
