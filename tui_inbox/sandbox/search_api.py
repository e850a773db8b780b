"""Recipient search, as the compose box's autocomplete uses it (canvas-api.md section 5).

Mirrors app/controllers/search_controller.rb and app/helpers/search_helper.rb:
contexts (courses, sections, groups, or the synthetic role lists of one course)
come first, then users from the searcher's address book (the searcher among them);
the concatenation is paged with opaque ``page=bookmark:...`` tokens and a Link
header whose "last" appears on the last page only (spec/apis/v1/search_api_spec.rb).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .endpoint import Call, NotFound, api
from .pagination import DROPPED, MAX_PER_PAGE, PER_PAGE
from .world import CONTEXT_RE, SUFFIX_TYPES, World

# Canvas's I18n labels for the synthetic contexts (search_helper.rb synthetic_contexts_for).
ROLE_LABELS = [
    ("teachers", "TeacherEnrollment", "Teachers"),
    ("tas", "TaEnrollment", "Teaching Assistants"),
    ("students", "StudentEnrollment", "Students"),
    ("observers", "ObserverEnrollment", "Observers"),
]
TYPE_RANK = {"course": 0, "section": 1, "group": 2}


@dataclass(slots=True)
class Ctx:
    """One candidate context before filtering: Canvas's @contexts entries."""

    kind: str  # course | section | group
    id: int
    name: str
    active: bool
    course_id: int | None
    context_name: str | None = None

    @property
    def code(self) -> str:
        return f"{self.kind}_{self.id}"


class Search:
    """One request's worth of address-book lookups for ``me``."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.world: World = call.state.world
        self.me = call.user.id
        self.avatar = f"{call.base_url}/images/messages/avatar-group-50.png"

    # -- contexts the searcher can see ------------------------------------------------
    def is_staff(self, course_id: int | None) -> bool:
        return course_id is not None and self.world.can_send_all(self.me, course_id)

    def course_ctx(self, cid: int) -> Ctx:
        course = self.world.courses[cid]
        return Ctx("course", cid, course.name, not course.concluded, None)

    def section_ctxs(self, cid: int) -> list[Ctx]:
        """Teachers and TAs see every section of their course; others their own."""
        mine = set(self.world.section_ids_of(self.me))
        course = self.world.courses[cid]
        return [
            Ctx("section", s.id, s.name, not course.concluded, cid, course.name)
            for s in sorted(self.world.sections.values(), key=lambda s: s.id)
            if s.course_id == cid and (self.is_staff(cid) or s.id in mine)
        ]

    def group_ctx(self, gid: int) -> Ctx:
        group = self.world.groups[gid]
        course = self.world.courses.get(group.course_id) if group.course_id else None
        return Ctx("group", gid, group.name, not (course and course.concluded), group.course_id,
                   course.name if course else None)

    def course_groups(self, cid: int) -> list[Ctx]:
        return [self.group_ctx(g.id) for g in self.world.groups.values() if g.course_id == cid]

    def my_groups(self) -> list[Ctx]:
        """Groups I belong to, plus those of courses I teach (Canvas's messageable_groups)."""
        ids = set(self.world.group_ids_of(self.me))
        ids |= {g.id for g in self.world.groups.values() if self.is_staff(g.course_id)}
        return [self.group_ctx(g) for g in sorted(ids)]

    def rights(self, ctx: Ctx) -> dict[str, bool]:
        """Granted rights only, as Canvas's rights_status(...).select { value }."""
        cid = ctx.id if ctx.kind == "course" else ctx.course_id
        if cid is None:
            return {"send_messages": True}
        granted = {"send_messages": True} if ctx.active else {}
        if ctx.active and self.is_staff(cid):
            granted["send_messages_all"] = True
        return granted

    # -- users in a context -------------------------------------------------------------
    def members(self, code: str) -> list[int] | None:
        """Who a context code covers for this searcher; None for a code Canvas ignores."""
        m = CONTEXT_RE.match(code)
        if not m:
            return None
        kind, cid, suffix = m.group(1), int(m.group(2)), m.group(4)
        w = self.world
        if kind == "course" and cid in w.courses and (suffix is None or suffix in SUFFIX_TYPES
                                                      or suffix in ("groups", "sections")):
            if cid not in w.course_ids_of(self.me):
                return []
            # Only those the searcher sees in this course (an observer: not every student).
            members = [u for u in w.course_members(cid) if u == self.me or w.sees_in_course(self.me, u, cid)]
            if suffix in SUFFIX_TYPES:
                members = [u for u in members if SUFFIX_TYPES[suffix] in w.enrollment_types(u, cid)]
            return members
        if kind == "section" and cid in w.sections and (suffix is None or suffix in SUFFIX_TYPES):
            section = w.sections[cid]
            if section.course_id not in w.course_ids_of(self.me):
                return []
            members = [u for u in w.section_members(cid)
                       if u == self.me or w.sees_in_course(self.me, u, section.course_id)]
            if suffix in SUFFIX_TYPES:
                members = [u for u in members if SUFFIX_TYPES[suffix] in w.enrollment_types(u, section.course_id)]
            return members
        if kind == "group" and cid in w.groups and suffix is None:
            group = w.groups[cid]
            if self.me not in group.member_ids and not self.is_staff(group.course_id):
                return []
            return list(group.member_ids)
        return None

    def known(self, uid: int) -> bool:
        return self.world.messageable(self.me, uid)

    def user_json(self, uid: int, context: str | None = None) -> dict:
        user = self.world.users[uid]
        courses, groups = self.common_contexts(uid)
        if context is not None:
            courses, groups = within(context, self.world, courses, groups)
        return {
            "id": uid,
            "name": user.short_name,
            "full_name": user.name,
            "pronouns": user.pronouns,
            "common_courses": courses,
            "common_groups": groups,
            "avatar_url": user.avatar_url(self.call.base_url),
        }

    def common_contexts(self, uid: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """What the searcher shares with ``uid``; with themself, their own live courses and groups
        (the spec's teacher finds themself with ``{course: ["TeacherEnrollment"]}``)."""
        world = self.world
        if uid == self.me:
            courses = {str(cid): world.enrollment_types(uid, cid) for cid in world.course_ids_of(uid)}
            groups = {str(gid): ["Member"] for gid in world.group_ids_of(uid)}
        else:
            courses, groups = world.common_courses(self.me, uid), world.common_groups(self.me, uid)
        live = {cid: types for cid, types in courses.items() if not world.courses[int(cid)].concluded}
        return live, groups


def within(context: str, world: World, courses: dict, groups: dict) -> tuple[dict, dict]:
    """Searching inside a context, a user's common contexts are that context only: a course's (or
    its section's) members share the course and no group, a group's members the group and no
    course (MessageableUser::Calculator, which loads common contexts for the context asked)."""
    m = CONTEXT_RE.match(context)
    kind, cid = m.group(1), int(m.group(2))
    if kind == "section":
        kind, cid = "course", world.sections[cid].course_id
    if kind == "course":
        return {k: v for k, v in courses.items() if k == str(cid)}, {}
    return {}, {k: v for k, v in groups.items() if k == str(cid)}


def _terms(search: str | None) -> list[str]:
    return (search or "").casefold().split()


def _matches(terms: list[str], *names: str) -> bool:
    """Every term must appear in one of the names (Canvas's wildcard per term)."""
    folded = [n.casefold() for n in names]
    return all(any(t in n for n in folded) for t in terms)


# -- contexts (search_helper.rb matching_contexts) --------------------------------------------
def matching_contexts(s: Search, context: str | None, terms: list[str], kinds: set[str],
                      exclude: set[str]) -> tuple[list[dict], bool]:
    """(context results, skip_users)."""
    p = s.call.params
    world = s.world
    result: list[Ctx] = []
    if context is None:
        courses = [s.course_ctx(c) for c in world.course_ids_of(s.me)]
        if not terms:
            member_groups = set(world.group_ids_of(s.me))
            result = courses + [g for g in s.my_groups() if g.id in member_groups]
        else:
            sections = [x for c in world.course_ids_of(s.me) for x in s.section_ctxs(c)]
            pool = {"course": courses, "section": sections, "group": s.my_groups()}
            result = [c for kind in ("course", "section", "group") if kind in kinds for c in pool[kind]]
    elif p.bool("synthetic_contexts"):
        m = CONTEXT_RE.match(context)
        kind, cid, suffix = m.group(1), int(m.group(2)), m.group(4)
        if kind == "course" and cid in world.course_ids_of(s.me) and not world.courses[cid].concluded:
            sections, groups = s.section_ctxs(cid), s.course_groups(cid)
            if suffix is None:
                if terms or p.bool("search_all_contexts"):
                    result = sections + groups
                else:
                    return synthetic(s, context, cid, sections, groups), True
            elif suffix == "groups":
                return finish(s, groups, context, terms, exclude), True
            elif suffix == "sections":
                return finish(s, sections, context, terms, exclude), True
        elif kind == "section" and suffix is None and not terms:
            section = world.sections[cid]
            if section.course_id in world.course_ids_of(s.me) and not world.courses[section.course_id].concluded:
                return synthetic(s, context, section.course_id, [], []), True
    return finish(s, result, context, terms, exclude), False


def finish(s: Search, result: list[Ctx], context: str | None, terms: list[str], exclude: set[str]) -> list[dict]:
    p = s.call.params
    if p.get("search"):
        result.sort(key=lambda c: (not c.active, TYPE_RANK[c.kind], c.name.casefold(), c.id))
    else:
        result.sort(key=lambda c: (c.name.casefold(), c.id))
    wanted = set(p.list("permissions") or ())
    if p.bool("messageable_only"):
        wanted.add("send_messages")
    out = []
    for ctx in result:
        rights = s.rights(ctx)
        if ctx.code in exclude or (not ctx.active and not p.bool("include_inactive")):
            continue
        if p.bool("messageable_only") and "send_messages" not in rights:
            continue
        if not _matches(terms, ctx.name):
            continue
        members = s.members(ctx.code) or []
        item = {
            "id": ctx.code,
            "name": ctx.name,
            "avatar_url": s.avatar,
            "type": "context",
            "user_count": sum(1 for u in members if s.known(u)),
            "permissions": {k: v for k, v in rights.items() if k in wanted},
        }
        if ctx.context_name and context is None:
            item["context_name"] = ctx.context_name
        out.append(item)
    return out


def synthetic(s: Search, context: str, course_id: int, sections: list[Ctx], groups: list[Ctx]) -> list[dict]:
    """``course_N_teachers`` ... with user counts, then the course's sections and groups lists."""
    known = [u for u in (s.members(context) or []) if s.known(u)]
    granted = s.rights(s.course_ctx(course_id))
    wanted = set(s.call.params.list("permissions") or ())
    out = []
    for suffix, etype, label in ROLE_LABELS:
        count = sum(1 for u in known if etype in s.world.enrollment_types(u, course_id))
        if count:
            # No context_name: Canvas gives none for these (search_api_spec.rb, synthetic contexts).
            out.append({"id": f"{context}_{suffix}", "name": label, "avatar_url": s.avatar, "type": "context",
                        "user_count": count, "permissions": {k: v for k, v in granted.items() if k in wanted}})
    default_section = min((x.id for x in s.world.sections.values() if x.course_id == course_id), default=None)
    if any(x.id != default_section for x in sections):
        out.append({"id": f"{context}_sections", "name": "Course Sections", "item_count": len(sections),
                    "type": "context"})
    if groups:
        out.append({"id": f"{context}_groups", "name": "Student Groups", "item_count": len(groups),
                    "type": "context"})
    return out


# -- users (the address book's search_users) -------------------------------------------------------
def matching_users(s: Search, context: str | None, terms: list[str], exclude: set[int]) -> list[tuple[list, dict]]:
    pool = s.members(context) if context else list(s.world.users)
    found = []
    for uid in pool or []:
        user = s.world.users[uid]
        # The searcher is among the matches, as in Canvas (search_api_spec.rb lists @me).
        if uid in exclude or not s.known(uid) or not _matches(terms, user.name, user.short_name):
            continue
        found.append(([user.sortable_name.casefold(), uid], uid))
    found.sort(key=lambda pair: pair[0])
    return [(key, s.user_json(uid, context)) for key, uid in found]


# -- bookmark pagination -------------------------------------------------------------------------
def encode_bookmark(value) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"bookmark:{raw}"


def decode_bookmark(page: str | None):
    """The bookmark's value, or None for "first", a number, or anything unreadable (first page)."""
    if not page or not page.startswith("bookmark:"):
        return None
    raw = page[len("bookmark:"):]
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 2 and value[0] in ("contexts", "participants"):
        return value
    return None


def bookmark_links(call: Call, current: str, next_page: str | None, per_page: int) -> str:
    """current, next (while there is more), first, and last on the last page: a bookmark cannot
    say where the end is until it is reached, and there it is the current page (lib/api.rb's
    links for a bookmarked collection). No prev: a bookmark only goes forward."""
    req = call.request
    kept = [(k, v) for k, v in req.query_params.multi_items() if k not in DROPPED]
    base = f"{str(req.base_url).rstrip('/')}{req.url.path}"

    def url(page: str) -> str:
        return f"<{base}?{urlencode(kept + [('page', page), ('per_page', str(per_page))])}>"

    links = [f'{url(current)}; rel="current"']
    if next_page:
        links.append(f'{url(next_page)}; rel="next"')
    links.append(f'{url("first")}; rel="first"')
    if not next_page:
        links.append(f'{url(current)}; rel="last"')
    return ",".join(links)


def page_of(call: Call, contexts: list[dict], users: list[tuple[list, dict]]) -> tuple[list[dict], dict]:
    per_page = call.params.int("per_page") or 0
    per_page = PER_PAGE if per_page <= 0 else min(per_page, MAX_PER_PAGE)  # <=0 means default here
    raw_page = call.params.get("page")
    mark = decode_bookmark(raw_page)
    items: list[tuple[list, dict]] = [(["contexts", i], c) for i, c in enumerate(contexts)]
    items += [(["participants", key], u) for key, u in users]
    start = 0
    if mark is not None:
        if mark[0] == "contexts" and isinstance(mark[1], int):
            start = mark[1] + 1
        elif mark[0] == "participants":
            start = len(contexts) + sum(1 for key, _ in users if key <= mark[1])
    chunk = items[start : start + per_page]
    more = start + per_page < len(items)
    next_page = encode_bookmark(chunk[-1][0]) if more and chunk else None
    current = raw_page if mark is not None else "first"
    return [item for _, item in chunk], {"Link": bookmark_links(call, current, next_page, per_page)}


# -- the endpoint --------------------------------------------------------------------------------
@api
async def recipients(call: Call) -> Response:
    s = Search(call)
    p = call.params
    context = p.get("context") or None
    if context is not None and s.members(context) is None:
        context = None  # an invalid context is ignored, as AddressBook.load_context does
    raw_uid = p.get("user_id")
    if raw_uid:
        return by_user_id(s, raw_uid, context)
    search = p.get("search")
    if context is None and search is None:
        return JSONResponse([])
    types = set(p.list("types") or ([p.get("type")] if p.get("type") else []))
    if "context" in types:
        types = (types - {"context"}) | set(TYPE_RANK)
    want_users = not types or "user" in types
    kinds = (types & set(TYPE_RANK)) if types else set(TYPE_RANK)
    exclude = set(p.list("exclude") or ())
    exclude_users = {int(x) for x in exclude if x.isdigit()}
    terms = _terms(search)
    contexts, skip_users = matching_contexts(s, context, terms, kinds, exclude) if kinds else ([], False)
    users = matching_users(s, context, terms, exclude_users) if want_users and not skip_users else []
    body, headers = page_of(call, contexts, users)
    return JSONResponse(body, headers=headers)


def by_user_id(s: Search, raw: str, context: str | None) -> Response:
    """At most one result; other parameters ignored except context and from_conversation_id."""
    uid = s.me if raw == "self" else int(raw) if raw.isdigit() else None
    if uid is None or uid not in s.world.users:
        raise NotFound(raw)  # api_find
    known = s.known(uid)
    conv_id = s.call.params.int("from_conversation_id")
    conversation = s.call.state.conversations.conversations.get(conv_id) if conv_id else None
    if conversation and s.me in conversation.participants and uid in conversation.participants:
        known = True
    if known and context is not None and uid not in (s.members(context) or []):
        known = False
    return JSONResponse([s.user_json(uid)] if known else [])


routes = [
    Route("/api/v1/search/recipients", recipients, methods=["GET"]),
    Route("/api/v1/conversations/find_recipients", recipients, methods=["GET"]),
]
