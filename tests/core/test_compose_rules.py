"""The composer's rules, without Textual: delivery, attachments, and who a draft goes to."""

from __future__ import annotations

from tui_inbox.canvas.models import Conversation, Course, Recipient
from tui_inbox.inbox import attaching, delivery_rules, recipient_rules
from tui_inbox.inbox.compose import GROUP, NEW_SEPARATE, SEPARATE, Draft, RecipientRef


def people(count: int) -> list[RecipientRef]:
    return [RecipientRef(str(i), f"Person {i}") for i in range(1, count + 1)]


# -- delivery -----------------------------------------------------------------------------------------------

def test_over_a_hundred_people_only_a_new_conversation_each_is_allowed():
    draft = Draft(kind="new", to=people(101))
    assert delivery_rules.forced(draft) == NEW_SEPARATE
    assert delivery_rules.refusal(draft, GROUP).startswith("Over 100 people Canvas takes only individual messages")
    assert delivery_rules.refusal(draft, NEW_SEPARATE) is None
    draft.delivery = NEW_SEPARATE
    assert delivery_rules.forced(draft) is None


def test_a_hundred_people_may_have_any_delivery():
    draft = Draft(kind="new", to=people(100))
    assert delivery_rules.forced(draft) is None
    assert all(delivery_rules.refusal(draft, choice) is None for choice in (GROUP, SEPARATE, NEW_SEPARATE))


def test_a_course_of_unknown_size_is_not_forced():
    draft = Draft(kind="new", to=[RecipientRef("course_3_students", "BIO students")])
    assert delivery_rules.forced(draft) is None and delivery_rules.where_lines(draft, None) == []


def test_the_lines_under_the_choice_say_the_bulk_send_then_where_it_goes():
    draft = Draft(kind="new", to=[RecipientRef("course_3_students", "BIO students", 30)])
    lines = delivery_rules.where_lines(draft, "Goes into your existing conversation")
    assert lines == ["30 people, one conversation each: it goes out in the background with a progress bar.",
                     "Goes into your existing conversation"]


def test_every_choice_has_its_label_and_its_line():
    assert set(delivery_rules.LABELS) == set(delivery_rules.HELP) == {GROUP, SEPARATE, NEW_SEPARATE}


# -- attachments ----------------------------------------------------------------------------------------------

def test_a_file_is_attached_once_by_its_full_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rubric.txt").write_text("12345")
    draft = Draft()
    assert attaching.attach(draft, "  ") is None
    assert attaching.attach(draft, "rubric.txt") == attaching.Attached("Attached rubric.txt.", added=True)
    assert draft.attachments == [str(tmp_path / "rubric.txt")]
    assert attaching.attach(draft, str(tmp_path / "rubric.txt")) == attaching.Attached("rubric.txt is already attached.")
    assert attaching.listed(draft.attachments[0]) == ("rubric.txt", "5 B")
    (tmp_path / "rubric.txt").unlink()
    assert attaching.listed(draft.attachments[0]) == ("rubric.txt", None)  # gone since: said missing


def test_a_folder_or_nothing_at_the_path_attaches_nothing(tmp_path):
    draft = Draft()
    assert attaching.attach(draft, str(tmp_path / "nope")) == attaching.Attached(
        f"No file at {tmp_path / 'nope'}: nothing attached.", error=True)
    assert attaching.attach(draft, str(tmp_path)) == attaching.Attached(f"{tmp_path} is not a file: nothing attached.",
                                                                         error=True)
    assert draft.attachments == []


def test_the_last_attachment_is_taken_off(tmp_path):
    draft = Draft(attachments=[str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert attaching.drop_last(draft) == "Removed b.txt."
    assert attaching.drop_last(Draft(kind="add_people", attachments=["x"])) is None  # no message, nothing attached
    assert attaching.drop_last(Draft()) is None


# -- who it goes to --------------------------------------------------------------------------------------------

def group_conversation(messages: list[dict]) -> Conversation:
    return Conversation.from_json({
        "id": 7, "subject": "Lab", "private": False, "audience": [2, 3],
        "participants": [{"id": 1, "name": "Me"}, {"id": 2, "name": "Ann", "full_name": "Ann Lee"},
                         {"id": 3, "name": "Bob", "full_name": "Bob Ma"}],
        "messages": messages,
    })


def test_a_plain_reply_in_a_group_goes_to_the_last_person_who_wrote():
    conversation = group_conversation([{"id": 2, "author_id": 3, "body": "b"}, {"id": 1, "author_id": 2, "body": "a"}])
    draft = Draft(kind="reply", conversation_id=7)
    assert recipient_rules.reply_goes_to(draft, conversation, 1) == ("Bob", "  (the last person who wrote; R replies to all)")
    mine_last = group_conversation([{"id": 3, "author_id": 1, "body": "c"}, {"id": 2, "author_id": 2, "body": "b"}])
    assert recipient_rules.reply_goes_to(draft, mine_last, 1) == (
        "Ann", "  (the last to write before your own message; R replies to all)")


def test_reply_all_or_an_unopened_conversation_goes_to_everyone_in_it():
    conversation = group_conversation([{"id": 1, "author_id": 2, "body": "a"}])
    draft = Draft(kind="reply_all", conversation_id=7, to=[RecipientRef("2", "Ann"), RecipientRef("3", "Bob")])
    assert recipient_rules.reply_goes_to(draft, conversation, 1) == ("Ann and Bob", "  (everyone in the conversation)")
    unopened = Draft(kind="reply", conversation_id=8)
    assert recipient_rules.reply_goes_to(unopened, conversation, 1) == (
        "the conversation's participants", "  (everyone in the conversation)")
    assert recipient_rules.answering(unopened, conversation) is None
    assert recipient_rules.answering(draft, conversation) is conversation


def test_adding_someone_already_there_is_said_not_done():
    conversation = group_conversation([])
    draft = Draft(kind="add_people", conversation_id=7)
    assert recipient_rules.add(draft, RecipientRef("2", "Ann"), conversation) == "Ann is in this conversation already."
    assert recipient_rules.add(draft, RecipientRef("9", "Cy"), conversation) == "Added Cy."
    assert recipient_rules.add(draft, RecipientRef("9", "Cy"), conversation) == "Cy is in To already."
    assert [r.id for r in draft.to] == ["9"]


def test_a_person_is_named_with_their_courses_and_roles_and_a_course_with_its_size():
    jane = Recipient.from_json({"id": "4", "name": "Jane", "full_name": "Jane Roe",
                                "common_courses": {"3": ["StudentEnrollment", "TaEnrollment"], "9": ["Auditor"]}})
    courses = [Course.from_json({"id": 3, "name": "Biology", "course_code": "BIO101"})]
    assert recipient_rules.where_they_are(jane, courses) == "BIO101 student, TA; course 9 Auditor"
    students = Recipient.from_json({"id": "course_3_students", "name": "[b]Students[/b]\n", "user_count": 30})
    assert recipient_rules.ref_for(students) == RecipientRef("course_3_students", "[b]Students[/b]", 30)
    assert recipient_rules.ref_for(jane).count is None
