"""Tolerant parsing of what Canvas sends: the seed's own examples, ids as strings or numbers,
nulls, missing and unknown keys, timestamps with any offset, the seven live event
payloads of the seeds (copied verbatim below), and hostile nesting.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import httpx
import pytest

from tui_inbox.canvas import CanvasClient, RetryPolicy, ServerError
from tui_inbox.canvas.errors import BadRow
from tui_inbox.canvas.live_events import LiveEvent, local_id
from tui_inbox.canvas.models import (Batch, Conversation, DiscussionEntry, DiscussionView, FileInfo, Message,
                                     Participant, Progress, Recipient, User)
from tui_inbox.canvas.parsing import as_datetime, as_int

UTC = timezone.utc

# -- Live event payloads, exactly as seeds 000 (conversations) and 003 (discussions) show them ----------
# conversation_created
CONVERSATION_CREATED = """\
    {
      "metadata": {
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000000123",
        "user_login": "inewton@example.com",
        "user_sis_id": "456-T45",
        "time_zone": "America/Denver",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "hostname": "oxana.instructure.com",
        "http_method": "POST",
        "client_ip": "93.184.216.34",
        "url": "http://oxana.instructure.com/conversations",
        "referrer": "http://oxana.instructure.com/conversations",
        "producer": "canvas",
        "event_name": "conversation_created",
        "event_time": "2020-03-24T16:55:59.973Z"
      },
      "body": {
        "conversation_id": "123456789",
        "updated_at": "2018-09-24T06:00:00Z"
      }
    }
"""


# conversation_forwarded
CONVERSATION_FORWARDED = """\
    {
      "metadata": {
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000000123",
        "user_login": "inewton@example.com",
        "user_sis_id": "456-T45",
        "time_zone": "America/Denver",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "hostname": "oxana.instructure.com",
        "http_method": "POST",
        "client_ip": "93.184.216.34",
        "url": "http://oxana.instructure.com/conversations/11/add_message",
        "referrer": "http://oxana.instructure.com/conversations",
        "producer": "canvas",
        "event_name": "conversation_forwarded",
        "event_time": "2020-03-27T17:30:26.715Z"
      },
      "body": {
        "conversation_id": "11",
        "updated_at": "2020-03-30T11:18:51-06:00"
      }
    }
"""


# conversation_message_created
CONVERSATION_MESSAGE_CREATED = """\
    {
      "metadata": {
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000000123",
        "user_login": "inewton@example.com",
        "user_sis_id": "456-T45",
        "time_zone": "America/Denver",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "hostname": "oxana.instructure.com",
        "http_method": "POST",
        "client_ip": "93.184.216.34",
        "url": "http://oxana.instructure.com/conversations/53/add_message",
        "referrer": "http://oxana.instructure.com/conversations",
        "producer": "canvas",
        "event_name": "conversation_message_created",
        "event_time": "2020-03-24T21:42:38.385Z"
      },
      "body": {
        "author_id": "2",
        "conversation_id": "53",
        "created_at": "2020-03-24T21:42:37Z",
        "message_id": "45"
      }
    }
"""


# discussion_entry_created
DISCUSSION_ENTRY_CREATED = """\
    {
      "metadata": {
        "client_ip": "93.184.216.34",
        "context_account_id": "21070000000000079",
        "context_id": "21070000000000565",
        "context_role": "StudentEnrollment",
        "context_sis_source_id": "2017.100.101.101-1",
        "context_type": "Course",
        "event_name": "discussion_entry_created",
        "event_time": "2019-11-01T19:11:03.933Z",
        "hostname": "oxana.instructure.com",
        "http_method": "POST",
        "producer": "canvas",
        "referrer": "https://oxana.instructure.com/courses/2982/discussion_topics/123456",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "time_zone": "America/New_York",
        "url": "https://oxana.instructure.com/api/v1/courses/452/discussion_topics/123456/entries/62152/replies",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000098765",
        "user_login": "oxana@example.com",
        "user_sis_id": "456-T45"
      },
      "body": {
        "created_at": "2019-07-03T23:12:34Z",
        "discussion_entry_id": "2134567",
        "discussion_topic_id": "123456",
        "parent_discussion_entry_id": "62152",
        "text": "<p>test this discussion</p>",
        "user_id": "98765"
      }
    }
"""


# discussion_entry_submitted
DISCUSSION_ENTRY_SUBMITTED = """\
    {
      "metadata": {
        "client_ip": "93.184.216.34",
        "context_account_id": "21070000000000079",
        "context_id": "21070000000000565",
        "context_role": "StudentEnrollment",
        "context_sis_source_id": "2017.100.101.101-1",
        "context_type": "Course",
        "event_name": "discussion_entry_submitted",
        "event_time": "2019-11-01T19:11:04.081Z",
        "hostname": "oxana.instructure.com",
        "http_method": "POST",
        "producer": "canvas",
        "referrer": "https://oxana.instructure.com/courses/8720/discussion_topics/189",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "time_zone": null,
        "url": "https://oxana.instructure.com/api/v1/courses/26612/discussion_topics/189/entries/59/replies",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000023481",
        "user_login": "oxana@example.com",
        "user_sis_id": "456-T45"
      },
      "body": {
        "assignment_id": "649",
        "created_at": "2019-07-03T23:12:34Z",
        "discussion_entry_id": "92",
        "discussion_topic_id": "189",
        "parent_discussion_entry_id": "59",
        "submission_id": "567",
        "text": "<p>test this discussion</p>",
        "user_id": "23481"
      }
    }
"""


# discussion_topic_created
DISCUSSION_TOPIC_CREATED = """\
    {
      "metadata": {
        "event_name": "discussion_topic_created",
        "event_time": "2019-11-01T19:11:18.208Z",
        "job_id": "1020020528469291",
        "job_tag": "Canvas::Migration::Worker::CourseCopyWorker#perform",
        "producer": "canvas",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs"
      },
      "body": {
        "assignment_id": "1234010",
        "body": "<h3>Discuss this</h3> What do you think?",
        "context_id": "1234560",
        "context_type": "Course",
        "discussion_topic_id": "120000001234567",
        "is_announcement": false,
        "lock_at": "2019-11-05T13:38:00.218Z",
        "title": "Sample discussion",
        "updated_at": "2019-11-05T13:38:00.218Z",
        "workflow_state": "active"
      }
    }
"""


# discussion_topic_updated
DISCUSSION_TOPIC_UPDATED = """\
    {
      "metadata": {
        "client_ip": "93.184.216.34",
        "context_account_id": "21070000000000079",
        "context_id": "21070000000000565",
        "context_role": "TeacherEnrollment",
        "context_sis_source_id": "2017.100.101.101-1",
        "context_type": "Course",
        "event_name": "discussion_topic_updated",
        "event_time": "2019-11-04T13:57:43.295Z",
        "hostname": "oxana.instructure.com",
        "http_method": "PUT",
        "producer": "canvas",
        "referrer": "https://oxana.instructure.com/courses/565/discussion_topics",
        "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
        "root_account_id": "21070000000000001",
        "root_account_lti_guid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs.oxana.instructure.com",
        "root_account_uuid": "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs",
        "session_id": "ef686f8ed684abf78cbfa1f6a58112b5",
        "time_zone": "America/Los_Angeles",
        "url": "https://oxana.instructure.com/api/v1/courses/565/discussion_topics/66871",
        "user_account_id": "21070000000000001",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.103 Safari/537.36",
        "user_id": "21070000000000001",
        "user_login": "oxana@example.com",
        "user_sis_id": "456-T45"
      },
      "body": {
        "assignment_id": "1234010",
        "body": "<h3>Discuss this</h3> What do you think?",
        "context_id": "565",
        "context_type": "Course",
        "discussion_topic_id": "21070000000066871",
        "is_announcement": false,
        "lock_at": "2019-11-05T13:38:00.218Z",
        "title": "Sample discussion",
        "updated_at": "2019-11-05T13:38:00.218Z",
        "workflow_state": "active"
      }
    }
"""


PAYLOADS = {name: json.loads(text) for name, text in {
    "conversation_created": CONVERSATION_CREATED,
    "conversation_forwarded": CONVERSATION_FORWARDED,
    "conversation_message_created": CONVERSATION_MESSAGE_CREATED,
    "discussion_entry_created": DISCUSSION_ENTRY_CREATED,
    "discussion_entry_submitted": DISCUSSION_ENTRY_SUBMITTED,
    "discussion_topic_created": DISCUSSION_TOPIC_CREATED,
    "discussion_topic_updated": DISCUSSION_TOPIC_UPDATED,
}.items()}

# -- Conversations examples from seed 002, as the docs print them ---------------------------------------
LIST_EXAMPLE = [{
    "id": 2, "subject": "conversations api example", "workflow_state": "unread",
    "last_message": "sure thing, here's the file", "last_message_at": "2011-09-02T12:00:00Z", "message_count": 2,
    "subscribed": True, "private": True, "starred": False, "properties": ["attachments"], "audience": [2],
    "audience_contexts": {"courses": {"1": ["StudentEnrollment"]}, "groups": {}},
    "avatar_url": "https://canvas.instructure.com/images/messages/avatar-group-50.png",
    "participants": [{"id": 1, "name": "Joe", "full_name": "Joe TA"}, {"id": 2, "name": "Jane", "full_name": "Jane Teacher"}],
    "visible": True, "context_name": "Canvas 101",
}]
SHOW_EXAMPLE = {
    "id": 2, "subject": "conversations api example", "workflow_state": "unread",
    "last_message": "sure thing, here's the file", "last_message_at": "2011-09-02T12:00:00-06:00", "message_count": 2,
    "subscribed": True, "private": True, "starred": False, "properties": ["attachments"], "audience": [2],
    "audience_contexts": {"courses": {"1": []}, "groups": {}},
    "avatar_url": "https://canvas.instructure.com/images/messages/avatar-50.png",
    "participants": [{"id": 1, "name": "Joe", "full_name": "Joe TA"}, {"id": 2, "name": "Jane", "full_name": "Jane Teacher"},
                     {"id": 3, "name": "Bob", "full_name": "Bob Student"}],
    "messages": [
        {"id": 3, "created_at": "2011-09-02T12:00:00Z", "body": "sure thing, here's the file", "author_id": 2,
         "generated": False, "media_comment": None, "forwarded_messages": [],
         "attachments": [{"id": 1, "display_name": "notes.doc", "uuid": "abcdefabcdefabcdefabcdefabcdef"}]},
        {"id": 2, "created_at": "2011-09-02T11:00:00Z",
         "body": "hey, bob didn't get the notes. do you have a copy i can give him?", "author_id": 2, "generated": False,
         "media_comment": None,
         "forwarded_messages": [{"id": 1, "created_at": "2011-09-02T10:00:00Z",
                                 "body": "can i get a copy of the notes? i was out", "author_id": 3, "generated": False,
                                 "media_comment": None, "forwarded_messages": [], "attachments": []}],
         "attachments": []},
    ],
    "submissions": [],
}
# The object description at the top of seed 002: nulls where one might expect values, start_at for the time.
OBJECT_EXAMPLE = {
    "id": 2, "subject": "2", "workflow_state": "unread", "last_message": "sure thing, here's the file",
    "start_at": "2011-09-02T12:00:00Z", "message_count": 2, "subscribed": True, "private": True, "starred": True,
    "properties": None, "audience": None, "audience_contexts": None,
    "avatar_url": "https://canvas.instructure.com/images/messages/avatar-group-50.png", "participants": None,
    "visible": True, "context_name": "Canvas 101",
}
ADD_RECIPIENTS_EXAMPLE = {
    "id": 2, "subject": "conversations api example", "workflow_state": "read",
    "last_message": "let's talk this over with jim", "last_message_at": "2011-09-02T12:00:00-06:00", "message_count": 2,
    "subscribed": True, "private": False, "starred": None, "properties": [], "audience": [2, 3, 4],
    "audience_contexts": {"courses": {"1": []}, "groups": {}},
    "avatar_url": "https://canvas.instructure.com/images/messages/avatar-group-50.png",
    "participants": [{"id": 1, "name": "Joe", "full_name": "Joe TA"}, {"id": 4, "name": "Jim", "full_name": "Jim Admin"}],
    "messages": [{"id": 4, "created_at": "2011-09-02T12:10:00Z", "body": "Jim was added to the conversation by Joe TA",
                  "author_id": 1, "generated": True, "media_comment": None, "forwarded_messages": [], "attachments": []}],
}
DELETE_EXAMPLE = {"id": 2, "subject": "conversations api example", "workflow_state": "read", "last_message": None,
                  "last_message_at": None, "message_count": 0, "subscribed": True, "private": True, "starred": False,
                  "properties": []}
BATCH_EXAMPLE = {"id": 1, "subject": "conversations api example", "workflow_state": "created", "completion": 0.1234,
                 "tags": [], "message": {"id": 1, "created_at": "2011-09-02T10:00:00Z",
                                         "body": "quick reminder, no class tomorrow", "author_id": 1, "generated": False,
                                         "media_comment": None, "forwarded_messages": [], "attachments": []}}


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- the seed's conversation examples -------------------------------------------------------------------
def test_the_list_example_parses():
    [c] = [Conversation.from_json(item) for item in LIST_EXAMPLE]
    assert (c.id, c.subject, c.unread, c.message_count, c.private, c.starred) == \
        (2, "conversations api example", True, 2, True, False)
    assert c.last_message_at == utc(2011, 9, 2, 12) and c.has_attachments and c.audience == [2]
    assert c.course_ids == [1] and c.context_name == "Canvas 101" and c.messages is None
    assert [(p.id, p.name, p.full_name) for p in c.participants] == [(1, "Joe", "Joe TA"), (2, "Jane", "Jane Teacher")]


def test_the_show_example_parses_with_offsets_forwards_and_attachments():
    c = Conversation.from_json(SHOW_EXAMPLE)
    assert c.last_message_at == utc(2011, 9, 2, 18)  # 12:00 at -06:00
    newest, forwarding = c.messages
    assert newest.attachments[0].id == 1 and newest.attachments[0].display_name == "notes.doc"
    assert newest.attachments[0].filename == "notes.doc" and newest.attachments[0].url is None
    assert newest.media_comment is None and newest.forwarded_messages == []
    [forwarded] = forwarding.forwarded_messages
    assert forwarded.author_id == 3 and forwarded.body.startswith("can i get a copy")
    assert forwarded.created_at == utc(2011, 9, 2, 10)
    assert c.participant(3).full_name == "Bob Student" and c.participant(99) is None


def test_nulls_where_the_seed_shows_null():
    c = Conversation.from_json(OBJECT_EXAMPLE)
    assert c.properties == [] and c.audience == [] and c.audience_contexts == {} and c.participants == []
    assert c.course_ids == [] and c.starred and c.last_message_at == utc(2011, 9, 2, 12)  # from start_at
    added = Conversation.from_json(ADD_RECIPIENTS_EXAMPLE)
    assert added.starred is False and added.messages[0].generated and not added.private
    gone = Conversation.from_json(DELETE_EXAMPLE)
    assert gone.message_count == 0 and gone.last_message is None and gone.last_message_at is None
    assert gone.participants == [] and gone.visible  # absent "visible": the default


def test_the_batch_example_keeps_its_zero_to_one_completion():
    batch = Batch.from_json(BATCH_EXAMPLE)
    assert batch.completion == pytest.approx(0.1234) and batch.workflow_state == "created"
    assert batch.message.body == "quick reminder, no class tomorrow" and batch.recipient_count is None


# -- ids, nulls, missing and unknown keys ------------------------------------------------------------------
def test_ids_as_strings_or_numbers():
    as_strings = Conversation.from_json({
        "id": "42", "message_count": "3", "audience": ["10", 11, "x", None],
        "participants": [{"id": "10", "name": "Jane"}, {"id": 11.0, "name": "Bob"}],
        "audience_contexts": {"courses": {"1": [], "2": []}},
        "messages": [{"id": "7", "author_id": "10", "participating_user_ids": ["1", "10"],
                      "attachments": [{"id": "5", "size": "120", "content_type": "text/plain"}]}],
    })
    assert as_strings.id == 42 and as_strings.message_count == 3 and as_strings.audience == [10, 11]
    assert [p.id for p in as_strings.participants] == [10, 11] and as_strings.course_ids == [1, 2]
    message = as_strings.messages[0]
    assert (message.id, message.author_id, message.participating_user_ids) == (7, 10, [1, 10])
    assert (message.attachments[0].id, message.attachments[0].size, message.attachments[0].content_type) == \
        (5, 120, "text/plain")
    assert Recipient.from_json({"id": 10, "name": "Jane"}).id == "10"
    assert not Recipient.from_json({"id": 10}).is_context and Recipient.from_json({"id": "course_1_students"}).is_context
    assert Progress.from_json({"id": "9", "completion": "50.5"}).completion == 50.5
    assert as_int(True) is None and as_int("-3") == -3 and as_int("4.5") is None and as_int(4.0) == 4


def test_missing_keys_give_defaults_and_unknown_keys_are_ignored():
    bare = Conversation.from_json({"id": 4})
    assert (bare.id, bare.subject, bare.workflow_state, bare.messages, bare.subscribed) == (4, "", "read", None, True)
    future = Conversation.from_json({"id": 1, "subject": "x", "brand_new_field": {"deep": [1, 2]}, "beta": True,
                                     "messages": [{"id": 1, "body": "hi", "reactions": ["👍"]}]})
    assert future.id == 1 and future.messages[0].body == "hi"
    for nothing in ({}, None, ["not", "a", "dict"]):  # no id is not id 0: some other row's, or none
        with pytest.raises(BadRow):
            Conversation.from_json(nothing)
    assert Message.from_json({"id": 1, "media_comment": "garbage", "attachments": None}).media_comment is None
    assert Participant.from_json({"id": 2, "name": "Shelly"}).full_name == "Shelly"
    user = User.from_json({"id": "1", "name": "Margaret Okafor"})
    assert user.short_name == user.sortable_name == "Margaret Okafor" and user.login_id is None
    assert FileInfo.from_json({"id": 3, "filename": "a.pdf", "content-type": "application/pdf"}).display_name == "a.pdf"
    assert Progress.from_json({}).workflow_state == "queued" and not Progress.from_json({}).done


@pytest.mark.parametrize("text, expected", [
    ("2020-03-30T11:18:51-06:00", utc(2020, 3, 30, 17, 18, 51)),
    ("2020-03-24T16:55:59.973Z", utc(2020, 3, 24, 16, 55, 59, 973000)),
    ("2019-11-05T13:38:00.218+00:00", utc(2019, 11, 5, 13, 38, 0, 218000)),
    ("2011-09-02T12:00:00+09:30", utc(2011, 9, 2, 2, 30)),
    ("2011-09-02T12:00:00", utc(2011, 9, 2, 12)),  # no offset: taken as UTC
])
def test_timestamps_become_aware_utc_datetimes(text, expected):
    parsed = as_datetime(text)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("junk", [None, "", "   ", "yesterday", "2020-13-45T99:00:00Z", 1585587531, {"at": 1}])
def test_unreadable_timestamps_become_none(junk):
    assert as_datetime(junk) is None


# -- live events -----------------------------------------------------------------------------------------
def test_conversation_events_from_the_seed():
    created = LiveEvent.from_json(PAYLOADS["conversation_created"])
    assert created.name == "conversation_created" and created.known and created.is_conversation
    assert created.conversation_id == 123456789 and created.updated_at == utc(2018, 9, 24, 6)
    assert created.actor_id == 123  # global 21070000000000123 reduced to the local id
    assert created.time == utc(2020, 3, 24, 16, 55, 59, 973000)

    forwarded = LiveEvent.from_json(PAYLOADS["conversation_forwarded"])
    assert forwarded.conversation_id == 11 and forwarded.updated_at == utc(2020, 3, 30, 17, 18, 51)
    assert forwarded.updated_at.tzinfo == UTC and forwarded.actor_id == 123

    message = LiveEvent.from_json(PAYLOADS["conversation_message_created"])
    assert (message.conversation_id, message.message_id, message.author_id) == (53, 45, 2)
    assert message.created_at == utc(2020, 3, 24, 21, 42, 37) and message.actor_id == 123
    for event in (created, forwarded, message):
        assert not event.is_discussion and event.metadata["hostname"] == "oxana.instructure.com"


def test_discussion_entry_events_from_the_seed():
    entry = LiveEvent.from_json(PAYLOADS["discussion_entry_created"])
    assert entry.is_discussion and entry.known
    assert (entry.entry_id, entry.topic_id, entry.parent_entry_id) == (2134567, 123456, 62152)
    assert entry.author_id == 98765 and entry.actor_id == 98765  # body local, metadata global: the same user
    assert entry.text == "<p>test this discussion</p>" and entry.created_at == utc(2019, 7, 3, 23, 12, 34)
    assert (entry.context_type, entry.context_id, entry.context_code) == ("Course", 565, "course_565")
    assert entry.assignment_id is None and entry.submission_id is None

    submitted = LiveEvent.from_json(PAYLOADS["discussion_entry_submitted"])
    assert (submitted.entry_id, submitted.topic_id, submitted.parent_entry_id) == (92, 189, 59)
    assert (submitted.assignment_id, submitted.submission_id, submitted.author_id) == (649, 567, 23481)
    assert submitted.actor_id == 23481 and submitted.context_code == "course_565"
    assert submitted.time == utc(2019, 11, 1, 19, 11, 4, 81000)
    assert submitted.metadata["time_zone"] is None  # null kept as sent


def test_discussion_topic_events_from_the_seed():
    created = LiveEvent.from_json(PAYLOADS["discussion_topic_created"])
    assert created.topic_id == 1234567  # "120000001234567": shard 12, local 1234567
    assert (created.context_type, created.context_id) == ("Course", 1234560)
    assert created.title == "Sample discussion" and created.text == "<h3>Discuss this</h3> What do you think?"
    assert created.is_announcement is False and created.assignment_id == 1234010
    assert created.actor_id is None and created.author_id is None  # a job made it: no user in the metadata
    assert created.updated_at == utc(2019, 11, 5, 13, 38, 0, 218000)

    updated = LiveEvent.from_json(PAYLOADS["discussion_topic_updated"])
    assert updated.topic_id == 66871 and updated.context_code == "course_565" and updated.actor_id == 1
    assert updated.title == "Sample discussion" and updated.body["workflow_state"] == "active"


def test_every_seed_event_is_known_and_keeps_its_raw_parts():
    for name, payload in PAYLOADS.items():
        event = LiveEvent.from_json(payload)
        assert event.name == name and event.known
        assert event.metadata == payload["metadata"] and event.body == payload["body"]
        assert event.time is not None and event.time.tzinfo == UTC


def test_an_unknown_event_is_kept_not_dropped():
    payload = {"metadata": {"event_name": "conversation_reacted", "event_time": "2024-02-02T10:00:00-05:00",
                            "user_id": "21070000000000042"},
               "body": {"conversation_id": "7", "reaction": "🎉"}}
    event = LiveEvent.from_json(payload)
    assert event.name == "conversation_reacted" and event.known is False
    assert not event.is_conversation and not event.is_discussion
    assert event.body["reaction"] == "🎉" and event.conversation_id == 7 and event.actor_id == 42
    assert event.time == utc(2024, 2, 2, 15)
    nameless = LiveEvent.from_json({"body": {}})
    assert nameless.name == "unknown" and nameless.known is False
    assert LiveEvent.from_json("not an event").name == "unknown"
    assert local_id("21070000000066871") == 66871 and local_id("66871") == 66871 and local_id(None) is None


# -- hostile nesting --------------------------------------------------------------------------------------
def nested_forwards(depth: int) -> dict:
    """A message forwarding a message forwarding a message ..., built without recursion."""
    message: dict = {"id": depth + 1, "body": f"level {depth}", "forwarded_messages": []}
    for level in range(depth - 1, -1, -1):
        message = {"id": level + 1, "body": f"level {level}", "forwarded_messages": [message]}
    return message


def test_forwards_nested_far_too_deep_do_not_blow_the_stack():
    depth = sys.getrecursionlimit() * 20
    message = Message.from_json(nested_forwards(depth))
    levels = 0
    while message.forwarded_messages:
        message = message.forwarded_messages[0]
        levels += 1
    assert 2 <= levels < 100  # real threads stay shallow; the rest is cut off, not followed
    shown = Conversation.from_json({"id": 1, "messages": [nested_forwards(depth)]})
    assert shown.messages[0].body == "level 0"


def test_replies_nested_far_too_deep_do_not_blow_the_stack():
    entry: dict = {"id": 0, "message": "leaf", "replies": []}
    for level in range(1, sys.getrecursionlimit() * 20):
        entry = {"id": level, "message": f"level {level}", "replies": [entry]}
    view = DiscussionView.from_json({"participants": [{"id": "1", "display_name": "Maggie"}], "view": [entry]})
    assert view.participants == {1: "Maggie"} and view.entries[0].id == level
    assert view.find(level) is not None and view.find(0) is None  # below the cut-off, not there
    assert DiscussionEntry.from_json(entry).id == level


async def test_hostile_nesting_over_the_wire_is_a_server_error_not_a_crash():
    deep = 100_000
    hostile = '{"id": 1, "messages": [' + '{"forwarded_messages": [' * deep + "]}" * deep + "]}"
    shallow = json.dumps({"id": 1, "messages": [nested_forwards(200)]})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=hostile if request.url.path.endswith("/1") else shallow,
                              headers={"Content-Type": "application/json"})

    async with CanvasClient("https://canvas.example.edu", "t", transport=httpx.MockTransport(handler),
                            retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(ServerError) as caught:
            await client.get_conversation(1)
        assert "\n" not in str(caught.value)
        readable = await client.get_conversation(2)  # deep but within what JSON can hold: parsed, forwards cut off
        assert readable.messages[0].body == "level 0"

