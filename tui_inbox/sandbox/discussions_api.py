"""The Discussion Topics and Announcements API, for ``courses/:id`` and ``groups/:id`` alike.

Shapes follow Canvas's discussion_topics_api_controller and lib/api/v1/discussion_topics.rb
(canvas-api.md section 9). Access as in Canvas: an unknown course, group, topic or entry
is a 404; a known context the user does not belong to is a 401 "unauthorized".
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .clock import iso
from .clock import parse_iso
from .discussions import (STAFF_TYPES, DiscussionEntry, DiscussionStore, DiscussionTopic, can_reply, can_see, create_topic,
                          is_member, is_moderator, post_entry, update_topic)
from .endpoint import Call, NotFound, api, path_int
from .pagination import paginate
from .world import split_context


class Unauthorized(Exception):
    """The user may not do this here: Canvas's 401 ``unauthorized`` body."""


def discussion_api(handler):
    async def guarded(call: Call) -> Response:
        try:
            return await handler(call)
        except Unauthorized:
            return errors.unauthorized()

    guarded.__name__ = handler.__name__
    return api(guarded)


# -- finding things -----------------------------------------------------------
def context_of(call: Call) -> tuple[str, int]:
    """("Course", id) or ("Group", id) from the path; 404 if unknown, 401 if not a member."""
    world = call.state.world
    if "course_id" in call.request.path_params:
        ctype, cid, known = "Course", path_int(call, "course_id"), world.courses
    else:
        ctype, cid, known = "Group", path_int(call, "group_id"), world.groups
    if cid not in known:
        raise NotFound(cid)
    if not is_member(world, call.user.id, ctype, cid) and not call.user.may_masquerade:
        raise Unauthorized()  # an account admin reads every course of the account (:read_course_content)
    return ctype, cid


def topic_of(call: Call) -> DiscussionTopic:
    ctype, cid = context_of(call)
    topic = call.state.discussions.topics.get(path_int(call, "topic_id"))
    if topic is None or (topic.context_type, topic.context_id) != (ctype, cid) or topic.workflow_state == "deleted":
        raise NotFound()
    if not can_see(call.state.world, call.user.id, topic, call.state.now()):
        raise Unauthorized()  # a draft, for a student: authorized_action(:read) fails
    return topic


def entry_of(call: Call, topic: DiscussionTopic) -> DiscussionEntry:
    entry = call.state.discussions.entries.get(path_int(call, "entry_id"))
    if entry is None or entry.topic_id != topic.id:
        raise NotFound()
    return entry


def store(call: Call) -> DiscussionStore:
    return call.state.discussions


# -- JSON ---------------------------------------------------------------------
def user_display(call: Call, user_id: int, topic: DiscussionTopic) -> dict:
    """Canvas's user_display_json, with the profile link inside the topic's context."""
    user = call.state.world.users[user_id]
    return {
        "id": user.id,
        "display_name": user.short_name,
        "avatar_image_url": user.avatar_url(call.base_url),
        "html_url": f"{call.base_url}/{topic.context_path}/users/{user.id}",
        "pronouns": None,
    }


def topic_json(call: Call, topic: DiscussionTopic, *, assignment: bool = False) -> dict:
    world, uid, now = call.state.world, call.user.id, call.state.now()
    moderator = is_moderator(world, uid, topic)
    mine = topic.user_id == uid
    locked = topic.locked(now)
    entries = store(call).entries_of(topic)
    html_url = f"{call.base_url}/{topic.context_path}/discussion_topics/{topic.id}"
    json = {
        "id": topic.id,
        "title": topic.title,
        "last_reply_at": iso(topic.last_reply_at),
        "created_at": iso(topic.created_at),
        "delayed_post_at": iso(topic.delayed_post_at),
        "posted_at": iso(topic.posted_at),
        "assignment_id": topic.assignment_id,
        "root_topic_id": None,
        "position": None,
        "podcast_has_student_posts": False,
        "discussion_type": "side_comment" if topic.is_announcement else "threaded",
        "lock_at": iso(topic.lock_at),
        "allow_rating": False,
        "only_graders_can_rate": False,
        "sort_by_rating": False,
        "is_section_specific": bool(topic.section_ids),
        "anonymous_state": None,
        "user_name": world.users[topic.user_id].name,
        "discussion_subentry_count": len(entries),
        "permissions": {
            "attach": can_reply(call.state, uid, topic),
            "update": moderator or mine,
            "reply": can_reply(call.state, uid, topic),
            "delete": moderator or mine,
        },
        "require_initial_post": False,
        "user_can_see_posts": True,
        "podcast_url": None,
        "read_state": "read" if uid in topic.readers else "unread",
        "unread_count": store(call).unread_count(topic, uid),
        "subscribed": uid in topic.subscribers,
        "topic_children": [],
        "group_topic_children": [],
        "attachments": [],
        "published": topic.published,
        "can_unpublish": moderator and not any(e.user_id != topic.user_id for e in entries),
        "locked": locked,
        "can_lock": moderator,
        "comments_disabled": False,
        "author": user_display(call, topic.user_id, topic),
        "html_url": html_url,
        "url": html_url,
        "pinned": topic.pinned,
        "group_category_id": None,
        "can_group": moderator and not entries,
        "locked_for_user": locked and not moderator,
        "message": topic.message,
        "todo_date": None,
        "is_announcement": topic.is_announcement,
        "context_code": topic.context_code,
    }
    if json["locked_for_user"]:
        json["lock_info"] = {"asset_string": f"discussion_topic_{topic.id}", "lock_at": iso(topic.lock_at)}
        json["lock_explanation"] = "This topic is locked." if topic.lock_at is None else \
            f"This topic was locked {topic.lock_at.strftime('%b %-d at %-I:%M%p').replace('AM', 'am').replace('PM', 'pm')}."
    if assignment and topic.assignment_id is not None:
        json["assignment"] = assignment_json(call, topic)
    if topic.section_ids and "sections" in (call.params.list("include") or ()):
        # lib/api/v1/discussion_topics.rb: the sections a section-specific topic is for.
        sections = call.state.world.sections
        json["sections"] = [{"id": s, "name": sections[s].name, "course_id": sections[s].course_id}
                            for s in topic.section_ids if s in sections]
    return json


def assignment_json(call: Call, topic: DiscussionTopic) -> dict:
    """The graded topic's assignment, the few fields a client reads from it."""
    course_id = topic.context_id  # graded topics live in courses
    return {
        "id": topic.assignment_id,
        "name": topic.title,
        "course_id": course_id,
        "due_at": iso(topic.due_at),
        "lock_at": iso(topic.lock_at),
        "points_possible": topic.points_possible,
        "grading_type": "points",
        "submission_types": ["discussion_topic"],
        "published": topic.published,
        "discussion_topic": {"id": topic.id},
        "html_url": f"{call.base_url}/courses/{course_id}/assignments/{topic.assignment_id}",
    }


def entry_json(call: Call, entry: DiscussionEntry, *, user_name: bool = True, subentries: bool = True,
               read_state: bool = True) -> dict:
    """serialize_entry: deleted entries lose their author and message but keep their place."""
    json: dict = {
        "id": entry.id,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "parent_id": entry.parent_id,
        "rating_count": None,
        "rating_sum": None,
    }
    if entry.deleted:
        json["deleted"] = True
    else:
        json["user_id"] = entry.user_id
        if user_name:
            json["user_name"] = call.state.world.users[entry.user_id].name
        json["message"] = entry.message
    if read_state:
        json["read_state"] = "read" if call.user.id in entry.readers else "unread"
        json["forced_read_state"] = call.user.id in entry.forced
    if subentries and entry.parent_id is None:
        replies = store(call).replies_of(entry)[:11]
        if replies:  # Canvas leaves both keys out when there are no replies
            json["recent_replies"] = [entry_json(call, r, subentries=False) for r in replies[:10]]
            json["has_more_replies"] = len(replies) > 10
    return json


def view_tree(call: Call, topic: DiscussionTopic) -> list[dict]:
    """The materialized view: every entry oldest first, replies nested, no per-user state."""
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for entry in store(call).entries_of(topic, active=False):
        node = entry_json(call, entry, user_name=False, subentries=False, read_state=False)
        node["replies"] = []
        nodes[entry.id] = node
        parent = nodes.get(entry.parent_id) if entry.parent_id is not None else None
        (parent["replies"] if parent is not None else roots).append(node)
    for node in nodes.values():
        if not node["replies"]:
            del node["replies"]  # Canvas adds the key only to entries that have replies
    return roots


def page(call: Call, items: list) -> JSONResponse:
    page_items, headers = paginate(call, items)
    return JSONResponse(list(page_items), headers=headers)


def newest_first(topic: DiscussionTopic) -> tuple:
    return (topic.posted_at, topic.id)


# -- handlers -------------------------------------------------------------------
@discussion_api
async def list_topics(call: Call) -> Response:
    ctype, cid = context_of(call)
    world, uid, now = call.state.world, call.user.id, call.state.now()
    announcements = call.params.bool("only_announcements")
    topics = [t for t in store(call).topics_in(ctype, cid)
              if t.is_announcement == announcements and can_see(world, uid, t, call.state.now())]
    scope = call.params.get("scope")
    if scope in ("locked", "unlocked"):
        topics = [t for t in topics if t.locked(now) == (scope == "locked")]
    elif scope in ("pinned", "unpinned"):
        topics = [t for t in topics if t.pinned == (scope == "pinned")]
    term = (call.params.get("search_term") or "").strip().lower()
    if term:
        topics = [t for t in topics if term in t.title.lower()]
    order = call.params.get("order_by")
    if order == "title":
        topics.sort(key=lambda t: (t.title.lower(), t.id))
    elif order == "recent_activity":
        topics.sort(key=lambda t: (t.last_reply_at or t.posted_at, t.id), reverse=True)
    else:
        topics.sort(key=newest_first, reverse=True)
    return page(call, [topic_json(call, t) for t in topics])


@discussion_api
async def list_announcements(call: Call) -> Response:
    """``GET /api/v1/announcements``: announcements of the listed courses in a date window."""
    codes = call.params.list("context_codes") or []
    if not codes:
        return JSONResponse({"message": "Missing context_codes"}, status_code=400)
    world, uid = call.state.world, call.user.id
    course_ids = []
    for code in codes:
        kind, cid = split_context(code)
        if kind != "course":
            return JSONResponse({"message": "Invalid context_codes; only `course` codes are supported"},
                                status_code=400)
        if cid in world.courses:  # api_find_all skips ids that do not exist
            if not is_member(world, uid, "Course", cid):
                raise Unauthorized()
            course_ids.append(cid)
    start, end = date_window(call)
    if isinstance(start, Response):
        return start
    found = [t for cid in course_ids for t in store(call).topics_in("Course", cid)
             if t.is_announcement and can_see(world, uid, t, call.state.now()) and start <= t.posted_at <= end]
    found.sort(key=newest_first, reverse=True)
    if call.params.bool("latest_only"):
        seen: set[int] = set()
        found = [t for t in found if not (t.context_id in seen or seen.add(t.context_id))]
    return page(call, [topic_json(call, t) for t in found])


def date_window(call: Call) -> tuple[datetime, datetime] | tuple[Response, None]:
    """start_date defaults to 14 days ago (start of day), end_date to start + 28 days."""
    today = datetime.combine(call.state.now().date(), time.min, tzinfo=timezone.utc)
    bounds = {}
    for name, day_end in (("start_date", False), ("end_date", True)):
        raw = call.params.get(name)
        if not raw:
            continue
        try:
            if len(raw) == 10:
                value = datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
                value = value + timedelta(days=1, microseconds=-1) if day_end else value
            else:
                value = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc)
        except ValueError:
            return JSONResponse({"message": f"Invalid {name}"}, status_code=400), None
        bounds[name] = value
    start = bounds.get("start_date", today - timedelta(days=14))
    return start, bounds.get("end_date", start + timedelta(days=28))


@discussion_api
async def show_topic(call: Call) -> Response:
    return JSONResponse(topic_json(call, topic_of(call), assignment=True))


class BadTopicField(Exception):
    """A field of a topic being written cannot be read: Canvas's 400 with the field's name."""


def topic_fields(call: Call, ctype: str, cid: int, moderator: bool) -> dict:
    """The fields ``POST``/``PUT`` discussion_topics set (discussion_topics_controller.rb
    ``process_discussion_topic_action``). Drafts, delayed posts and section-specific topics
    are for moderators; a student's topic is always published to the whole course."""
    fields: dict = {}
    for name in ("title", "message"):
        if call.params.get(name) is not None:
            fields[name] = call.params.get(name)
    if not moderator:
        return fields
    if call.params.get("published") is not None:
        fields["workflow_state"] = "active" if call.params.bool("published") else "unpublished"
    raw_delay = call.params.get("delayed_post_at")
    if raw_delay is not None:
        try:
            fields["delayed_post_at"] = parse_iso(raw_delay) if raw_delay.strip() else None
        except ValueError:
            raise BadTopicField("delayed_post_at") from None
    raw_sections = call.params.get("specific_sections")
    if raw_sections is not None:
        if ctype != "Course":
            raise BadTopicField("specific_sections")  # only a course topic can be section-specific
        if raw_sections.strip() in ("", "all"):
            fields["section_ids"] = ()
        else:
            parts = [p.strip() for p in raw_sections.split(",")]
            sections = call.state.world.sections
            if not all(p.isdigit() and int(p) in sections and sections[int(p)].course_id == cid for p in parts):
                raise BadTopicField("specific_sections")
            fields["section_ids"] = tuple(sorted({int(p) for p in parts}))
    return fields


def _field_error(name: str) -> Response:
    return errors.validation_errors(name, {"attribute": name, "type": "invalid", "message": "invalid"})


@discussion_api
async def create_topic_route(call: Call) -> Response:
    ctype, cid = context_of(call)
    world = call.state.world
    if not is_member(world, call.user.id, ctype, cid):
        raise Unauthorized()  # an admin reads along; posting takes a membership here
    course_id = cid if ctype == "Course" else (world.groups[cid].course_id if cid in world.groups else None)
    moderator = course_id is not None and bool(set(world.enrollment_types(call.user.id, course_id)) & STAFF_TYPES)
    try:
        fields = topic_fields(call, ctype, cid, moderator)
    except BadTopicField as exc:
        return _field_error(str(exc))
    title = fields.pop("title", None) or "No Title"
    message = fields.pop("message", None) or ""
    topic = create_topic(call.state, call.origin(), ctype, cid, title, message, **fields)
    return JSONResponse(topic_json(call, topic))


@discussion_api
async def update_topic_route(call: Call) -> Response:
    topic = topic_of(call)
    world = call.state.world
    moderator = is_moderator(world, call.user.id, topic)
    if not moderator and topic.user_id != call.user.id:
        raise Unauthorized()
    try:
        fields = topic_fields(call, topic.context_type, topic.context_id, moderator)
    except BadTopicField as exc:
        return _field_error(str(exc))
    update_topic(call.state, call.origin(), topic, **fields)
    return JSONResponse(topic_json(call, topic))


@discussion_api
async def view_topic(call: Call) -> Response:
    topic = topic_of(call)
    entries = store(call).entries_of(topic)
    uid = call.user.id
    people = list(dict.fromkeys([topic.user_id] + [e.user_id for e in entries]))
    body = {
        "unread_entries": [e.id for e in entries if uid not in e.readers],
        "forced_entries": [e.id for e in entries if uid in e.forced],
        "entry_ratings": {},
        "participants": [user_display(call, p, topic) for p in people],
        "view": view_tree(call, topic),
    }
    if call.params.get("include_new_entries") == "1":
        body["new_entries"] = []  # the view is never stale here, so nothing is newer than it
    return JSONResponse(body)


@discussion_api
async def list_entries(call: Call) -> Response:
    topic = topic_of(call)
    roots = [e for e in store(call).entries_of(topic) if e.parent_id is None]
    roots.sort(key=lambda e: (e.created_at, e.id), reverse=True)
    return page(call, [entry_json(call, e) for e in roots])


@discussion_api
async def list_replies(call: Call) -> Response:
    topic = topic_of(call)
    entry = entry_of(call, topic)
    if entry.parent_id is not None:
        raise NotFound()  # Canvas finds the entry among the topic's root entries only
    return page(call, [entry_json(call, r, subentries=False) for r in store(call).replies_of(entry)])


@discussion_api
async def entry_list(call: Call) -> Response:
    topic = topic_of(call)
    wanted = call.params.list("ids") or []
    entries = []
    for raw in wanted:  # find(ids): any id missing from the topic is a 404
        entry = store(call).entries.get(int(raw)) if raw.isdigit() else None
        if entry is None or entry.topic_id != topic.id:
            raise NotFound()
        entries.append(entry)
    entries = sorted(set(entries), key=lambda e: e.id)
    return page(call, [entry_json(call, e, user_name=False, subentries=False) for e in entries])


async def _post(call: Call, parent: bool) -> Response:
    topic = topic_of(call)
    parent_id = entry_of(call, topic).id if parent else None
    if not can_reply(call.state, call.user.id, topic):
        raise Unauthorized()
    message = call.params.get("message")
    if not message or not message.strip():
        return errors.validation_errors("message", {"attribute": "message", "type": "blank", "message": "blank"})
    entry = post_entry(call.state, call.origin(), topic, call.user.id, message, parent_id)
    json = entry_json(call, entry, subentries=False)
    json["user"] = user_display(call, entry.user_id, topic)  # the :display_user include
    return JSONResponse(json, status_code=201)


@discussion_api
async def create_entry(call: Call) -> Response:
    return await _post(call, parent=False)


@discussion_api
async def create_reply(call: Call) -> Response:
    return await _post(call, parent=True)


def _mark(entries: bool, entry: bool = False):
    @discussion_api
    async def mark(call: Call) -> Response:
        topic = topic_of(call)
        read = call.request.method == "PUT"
        forced = call.params.bool("forced_read_state")
        if entry:
            store(call).mark_entry(entry_of(call, topic), call.user.id, read, forced=forced)
        else:
            store(call).mark_read(topic, call.user.id, read, entries=entries, forced=forced)
        return Response(status_code=204)

    return mark


def _routes() -> list[Route]:
    found = [Route("/api/v1/announcements", list_announcements, methods=["GET"])]
    for prefix in ("/api/v1/courses/{course_id}", "/api/v1/groups/{group_id}"):
        base = prefix + "/discussion_topics"
        one = base + "/{topic_id}"
        found += [
            Route(base, list_topics, methods=["GET"]),
            Route(base, create_topic_route, methods=["POST"]),
            Route(one, show_topic, methods=["GET"]),
            Route(one, update_topic_route, methods=["PUT"]),
            Route(one + "/view", view_topic, methods=["GET"]),
            Route(one + "/entries", list_entries, methods=["GET"]),
            Route(one + "/entries", create_entry, methods=["POST"]),
            Route(one + "/entries/{entry_id}/replies", list_replies, methods=["GET"]),
            Route(one + "/entries/{entry_id}/replies", create_reply, methods=["POST"]),
            Route(one + "/entry_list", entry_list, methods=["GET"]),
            Route(one + "/read", _mark(entries=False), methods=["PUT", "DELETE"]),
            Route(one + "/read_all", _mark(entries=True), methods=["PUT", "DELETE"]),
            Route(one + "/entries/{entry_id}/read", _mark(entries=False, entry=True), methods=["PUT", "DELETE"]),
        ]
    return found


routes = _routes()
