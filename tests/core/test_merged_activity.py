"""Activity of two accounts in the core (inbox/merged_activity.py), without Textual: each school's
Activity filled over HTTP from its own sandbox, merged newest first with each item's account, and
"new since you last looked" summed over both. Two schools over loopback (tests/two_schools.py).

What the sandboxes answer is their reading of canvas-lms's
app/controllers/discussion_topics_api_controller.rb (index, entries, add_entry); nothing is added
to the sandbox here.
"""

from __future__ import annotations

from tests.two_schools import COLLEGE, STATE, api, start_schools, teacher_token
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.accounts import Accounts
from tui_inbox.inbox.merged_activity import MergedActivity
from tui_inbox.inbox.session import InboxSession

NAMES = [STATE, COLLEGE]


def post_entry(school, item, message: str) -> int:
    kind, _, number = item.context_code.partition("_")  # a course's or a group's
    with api(school) as client:
        answer = client.post(f"/api/v1/{kind}s/{number}/discussion_topics/{item.topic_id}/entries",
                             data={"message": message})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["id"]


async def test_both_schools_activity_merges_newest_first_and_what_is_new_is_summed(make_sandbox):
    schools = dict(zip(NAMES, start_schools(make_sandbox)))
    accounts = Accounts([(name, InboxSession(CanvasClient(school.base_url, teacher_token(school))))
                         for name, school in schools.items()])
    try:
        await accounts.start()
        await async_wait_until(lambda: all(accounts.session(name).activity.loaded for name in NAMES), timeout=20)
        merged = MergedActivity(accounts)
        items = merged.items(NAMES)
        for name in NAMES:  # each school's items, in its own order, each with its account
            assert [item for account, item in items if account == name] == accounts.session(name).activity.items
            assert accounts.session(name).activity.items
        dates = [item.when for _, item in items]
        assert dates == sorted(dates, reverse=True)
        assert merged.items([COLLEGE]) == [(COLLEGE, item) for item in accounts.session(COLLEGE).activity.items]
        assert merged.loaded(NAMES)

        assert merged.look(NAMES) == 0  # the first look: what was there is seen
        merged.looked_away()  # every account looked at
        posted = {}
        for name, school in schools.items():
            topic = next(item for item in accounts.session(name).activity.items if item.kind == "topic")
            school.call(school.state.clock.skip, 60)  # after the last look, on each school's own clock
            posted[name] = post_entry(school, topic, f"A new reply at {name}")
            await accounts.session(name).activity.fill()  # what the live event would have added
        new = [(account, item.entry_id) for account, item in merged.items(NAMES) if merged.is_new(account, item)]
        assert sorted(new) == sorted(posted.items())
        assert merged.look(NAMES) == 2
        assert merged.look([STATE]) == 1  # narrowed to one account: its own
        merged.looked_away()  # leaving: seen at both, though the last look was narrowed to one
        assert merged.look(NAMES) == 0
    finally:
        await accounts.aclose()
